/* ISC license. */

#include <stdint.h>
#include <string.h>

#include <skalibs/ip46.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "remote_conf.h"

static int seconds (char const *name, uint64_t def, unsigned int *out, char const **bad)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || !u || u > 86400) { *bad = name ; return 0 ; }
  *out = (unsigned int)u ;
  return 1 ;
}

int remote_conf_read (remote_conf *c, char const **bad)
{
  uint64_t u ;
  char const *s ;
   /* RFC 5321 4.5.3.2: initial 220 5 min, MAIL 5, RCPT 5, DATA
      initiation 2, data block 3, DATA termination 10. */
  if (!seconds("PH_DELIVERY_IDLE_TIMEOUT", 600, &c->idle, bad)
   || !seconds("PH_REMOTE_REUSE_IDLE", 10, &c->reuse_idle, bad)
   || !seconds("PH_REMOTE_REUSE_AGE", 300, &c->reuse_age, bad)
   || !seconds("PH_REMOTE_CONNECT_TIMEOUT", 30, &c->t_connect, bad)
   || !seconds("PH_REMOTE_GREETING_TIMEOUT", 300, &c->t_greeting, bad)
   || !seconds("PH_REMOTE_COMMAND_TIMEOUT", 300, &c->t_command, bad)
   || !seconds("PH_REMOTE_DATA_INIT_TIMEOUT", 120, &c->t_data_init, bad)
   || !seconds("PH_REMOTE_DATA_BLOCK_TIMEOUT", 180, &c->t_data_block, bad)
   || !seconds("PH_REMOTE_DATA_DONE_TIMEOUT", 600, &c->t_data_done, bad)
   || !seconds("PH_REMOTE_DNS_TIMEOUT", 60, &c->t_dns, bad)
   || !seconds("PH_REMOTE_QUIT_TIMEOUT", 5, &c->t_quit, bad))
    return 0 ;
  if (!config_get_uint("PH_REMOTE_REUSE_MAX", 100, &u) || u > 100000) { *bad = "PH_REMOTE_REUSE_MAX" ; return 0 ; }
  c->reuse_max = (unsigned int)u ;
  if (!config_get_uint("PH_REMOTE_PORT", 25, &u) || !u || u > 65535) { *bad = "PH_REMOTE_PORT" ; return 0 ; }
  c->port = (uint16_t)u ;
  s = config_get_default("PH_REMOTE_INET_PROTOCOLS", "all") ;
  if (!strcmp(s, "all")) c->inet = REMOTE_INET_ALL ;
  else if (!strcmp(s, "ipv4")) c->inet = REMOTE_INET_IPV4 ;
  else if (!strcmp(s, "ipv6")) c->inet = REMOTE_INET_IPV6 ;
  else { *bad = "PH_REMOTE_INET_PROTOCOLS" ; return 0 ; }
  if (!config_get_bool("PH_RELAY_AUTH_INSECURE", 0, &c->auth_insecure)) { *bad = "PH_RELAY_AUTH_INSECURE" ; return 0 ; }
  s = config_get_default("PH_TLS_VERIFY", "none") ;
  if (!strcmp(s, "none")) c->tls_verify = REMOTE_VERIFY_NONE ;
  else if (!strcmp(s, "relay")) c->tls_verify = REMOTE_VERIFY_RELAY ;
  else if (!strcmp(s, "all")) c->tls_verify = REMOTE_VERIFY_ALL ;
  else { *bad = "PH_TLS_VERIFY" ; return 0 ; }
  c->helo = config_hostname() ;

   /* Our own SMTP listener (docs/internals.md, package/mkruntime):
      connecting to it would be a mail loop. */
  c->self_known = 0 ;
  c->self_any = 0 ;
  s = config_get("PH_SMTP_IP") ;
  if (s)
  {
    size_t n = ip46_scan(s, &c->self_ip) ;
    if (!n || s[n]) { *bad = "PH_SMTP_IP" ; return 0 ; }
    if (!config_get_uint("PH_SMTP_PORT", 25, &u) || !u || u > 65535) { *bad = "PH_SMTP_PORT" ; return 0 ; }
    c->self_port = (uint16_t)u ;
    c->self_known = 1 ;
    {
      static char const zero[16] = { 0 } ;
      c->self_any = !memcmp(c->self_ip.ip, zero, ip46_is6(&c->self_ip) ? 16 : 4) ;
    }
  }
  c->config_dir = config_get("PH_CONFIG_DIR") ;
  c->cdb_dir = config_get("PH_CDB_DIR") ;
  return 1 ;
}

/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_CONF_H
#define POSTHASTE_DELIVERD_REMOTE_CONF_H

/* deliverd-remote's settings (deliverd/README-remote.md, Environment),
 * read once at start: the environment first, then $PH_ENVFILE. */

#include <stdint.h>

#include <skalibs/ip46.h>

#define REMOTE_INET_ALL 3
#define REMOTE_INET_IPV4 1
#define REMOTE_INET_IPV6 2

/* PH_TLS_VERIFY: whose certificate must verify (tlsd/README.md, tlsc) */
#define REMOTE_VERIFY_NONE 0    /* nobody's: opportunistic TLS everywhere (the default) */
#define REMOTE_VERIFY_RELAY 1   /* a smarthost's */
#define REMOTE_VERIFY_ALL 2     /* every server's: no mail over plaintext or unverified TLS */

typedef struct remote_conf_s remote_conf, *remote_conf_ref ;
struct remote_conf_s
{
  unsigned int idle ;          /* seconds to wait for queued's next request */
  unsigned int reuse_idle ;    /* seconds a connection is kept for the next message */
  unsigned int reuse_max ;     /* transactions on one connection */
  unsigned int reuse_age ;     /* seconds one connection may live */
  unsigned int t_connect ;     /* RFC 5321 4.5.3.2 client timeouts, seconds: */
  unsigned int t_greeting ;    /*   the 220 greeting */
  unsigned int t_command ;     /*   EHLO, AUTH, MAIL, RCPT, RSET, QUIT replies */
  unsigned int t_data_init ;   /*   the 354 to DATA */
  unsigned int t_data_block ;  /*   each block of the message written */
  unsigned int t_data_done ;   /*   the reply to the final dot (or BDAT) */
  unsigned int t_dns ;         /* all the lookups for one destination */
  unsigned int t_quit ;        /* the reply to QUIT */
  uint16_t port ;              /* the SMTP port of MX hosts (25) */
  unsigned int inet ;          /* REMOTE_INET_*: address families used */
  int auth_insecure ;          /* PH_RELAY_AUTH_INSECURE=1: AUTH without TLS to a loopback relay */
  unsigned int tls_verify ;    /* REMOTE_VERIFY_*: PH_TLS_VERIFY */
  char const *helo ;           /* our name in EHLO / HELO */
  int self_known ;             /* our own listener is known: */
  int self_any ;               /*   on the wildcard address */
  ip46 self_ip ;
  uint16_t self_port ;
  char const *config_dir ;     /* PH_CONFIG_DIR: relay maps, or 0 */
  char const *cdb_dir ;        /* PH_CDB_DIR: domains.cdb, or 0 */
} ;

/* Fills *c. Returns 1, or 0 with *bad naming the setting that does not
 * parse. */
extern int remote_conf_read (remote_conf *c, char const **bad) ;

#endif

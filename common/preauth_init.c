/* ISC license. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/random.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "common/nodump.h"
#include "common/preauth.h"
#include "common/ucspitls.h"

#define NAME_MAX_LEN 64

/* prefix + suffix, e.g. "PH_IMAP" "_MAX_BAD": the settings of both
 * protocols have the same names but for the prefix */
static char const *setting (char *buf, char const *prefix, char const *suffix)
{
  size_t a = strlen(prefix), b = strlen(suffix) ;
  if (a + b >= NAME_MAX_LEN) strerr_dief1x(101, "setting name too long") ;
  memcpy(buf, prefix, a) ;
  memcpy(buf + a, suffix, b + 1) ;
  return buf ;
}

static unsigned int get_uint (char const *prefix, char const *suffix, uint64_t def, uint64_t max)
{
  char name[NAME_MAX_LEN] ;
  uint64_t n ;
  setting(name, prefix, suffix) ;
  if (!config_get_uint(name, def, &n) || !n || n > max)
    strerr_dief3x(100, name, " must be a positive number up to ", max == 86400 ? "86400" : "100000") ;
  return (unsigned int)n ;
}

static int get_plain (char const *prefix)
{
  char name[NAME_MAX_LEN] ;
  char const *x = config_get_default(setting(name, prefix, "_PLAINTEXT_AUTH"), "loopback") ;
  if (!strcmp(x, "loopback")) return PREAUTH_PLAIN_LOOPBACK ;
  if (!strcmp(x, "yes")) return PREAUTH_PLAIN_YES ;
  if (!strcmp(x, "no")) return PREAUTH_PLAIN_NO ;
  strerr_dief2x(100, name, " must be loopback, yes or no") ;
}

static int is_loopback (char const *ip)
{
  /* tcpd gives IPv4 as dotted decimal, IPv6 in ip6_fmt's form */
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11) ;
}

static char const *socket_path (char const *dir, char const *name, char const *suffix)
{
  stralloc sa = STRALLOC_ZERO ;
  if (!stralloc_cats(&sa, dir) || !stralloc_cats(&sa, "/") || !stralloc_cats(&sa, name)
   || !stralloc_cats(&sa, suffix) || !stralloc_0(&sa))
    strerr_diefu1sys(111, "allocate memory") ;
  return sa.s ;
}

void preauth_init (preauth *p, char const *service, char const *prefix)
{
  /* before anything else: the other processes of our uid (the other
   * clients' pre-auth halves) must not read our memory */
  nodump() ;
  config_load() ;
  p->service = service ;
  p->plain = get_plain(prefix) ;
  p->idlesecs = get_uint(prefix, "_PREAUTH_TIMEOUT", 60, 86400) ;
  p->maxbad = get_uint(prefix, "_MAX_BAD", 20, 100000) ;
  p->maxauthfail = get_uint(prefix, "_MAX_AUTH_FAIL", 3, 100000) ;
  {
    char const *run = config_get("PH_RUN_DIR") ;
    if (!run) strerr_dienotset(100, "PH_RUN_DIR") ;
    p->authpath = socket_path(run, "auth.sock", "") ;
    p->sessionpath = socket_path(run, service, "-session.sock") ;
  }
  {
    char const *h = config_hostname() ;
    size_t n = strlen(h) ;
    if (n > PREAUTH_HOST_MAX) n = PREAUTH_HOST_MAX ;
    memcpy(p->host, h, n) ;
    p->host[n] = 0 ;
  }
  p->rip = getenv("TCPREMOTEIP") ;
  p->rport = getenv("TCPREMOTEPORT") ;
  p->lip = getenv("TCPLOCALIP") ;
  p->lport = getenv("TCPLOCALPORT") ;
  if (!p->rip) p->rip = "" ;
  /* behind a balancer that named no client (PROXY LOCAL/UNKNOWN),
   * TCPREMOTEIP is the balancer's own, maybe loopback: not a local client */
  p->loopback = is_loopback(p->rip) && !getenv("TCPPROXYLOCAL") ;
  {
    char rnd[8] ;
    random_buf(rnd, sizeof(rnd)) ;
    p->session[ucharn_fmt(p->session, rnd, sizeof(rnd))] = 0 ;
  }
  p->tls = ucspitls_env(&p->tlsinfo) ? 1 : 0 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the connection non-blocking") ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  tain_now_set_stopwatch_g() ;
  {
    logline l ;
    log_begin(&l, "connect") ;
    log_kv(&l, "ip", p->rip) ;
    log_kv(&l, "session", p->session) ;
    if (p->tls) log_kv(&l, "tls", p->tlsinfo.protocol) ;
    log_commit(&l) ;
  }
}

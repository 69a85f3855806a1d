/* ISC license. */

/* pop3d: POP3 before login (RFC 1939 AUTHORIZATION state, RFC 2449
 * CAPA, RFC 2595 STLS, RFC 5034 AUTH), the half that faces the network
 * without a mailbox (docs/internals.md, "Mail access").
 *
 * Security: runs as phpop3 under tcpd and tlsd (plaintext on fds 0/1;
 * TLS is tlsd's), one process per connection. It trusts nothing the
 * client sends: command lines are bounded (POP3_LINE_MAX), as are AUTH
 * continuation lines; the connection has an idle deadline
 * (PH_POP3_PREAUTH_TIMEOUT), a bad-command limit and a failed-login
 * limit. It never opens anything under $PH_MAILROOT and never sees a
 * password hash: credentials go to authd, which answers with a one-time
 * ticket; the client's fds and the ticket then go to pop3-session (uid
 * vmail), which believes only the ticket. It writes nothing on disk. It
 * is not dumpable (nodump()): the other pop3d processes of phpop3
 * cannot read its memory; and once a command is handled, its line and
 * the consumed part of the input buffer are wiped, so a password does
 * not outlive its PASS or AUTH. A compromise gives the passwords of the
 * clients that connect to this process while it lasts, and a way to try
 * passwords at authd's pace. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/cbuffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/random.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/lineio.h"
#include "common/nodump.h"
#include "common/log.h"
#include "common/ucspitls.h"
#include "pop3d/pop3d.h"

#define USAGE "pop3d (under tcpd and tlsd, with PH_RUN_DIR set)"

static pop3d d ;

static unsigned int get_uint (char const *name, uint64_t def, uint64_t max)
{
  uint64_t n ;
  if (!config_get_uint(name, def, &n) || !n || n > max)
    strerr_dief3x(100, name, " must be a positive number up to ", max == 86400 ? "86400" : "100000") ;
  return (unsigned int)n ;
}

static int is_loopback (char const *ip)
{
  /* tcpd gives IPv4 as dotted decimal, IPv6 in ip6_fmt's form */
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11) ;
}

static char const *socket_path (char const *dir, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  if (!stralloc_cats(&sa, dir) || !stralloc_cats(&sa, "/") || !stralloc_cats(&sa, name) || !stralloc_0(&sa))
    strerr_diefu1sys(111, "allocate memory") ;
  return sa.s ;
}

/* The consumed input (a PASS line, an AUTH response) stays in the input
 * buffer's free part until overwritten: wipe it. */
static void wipe_consumed (cbuffer *c)
{
  struct iovec v[2] ;
  cbuffer_wpeek(c, v) ;
  for (unsigned int i = 0 ; i < 2 ; i++)
    if (v[i].iov_len) explicit_bzero(v[i].iov_base, v[i].iov_len) ;
  c->x[(c->p + c->a - 1) % c->a] = 0 ;  /* the slot cbuffer keeps empty */
}

int main (int argc, char const *const *argv)
{
  static char line[POP3_LINE_MAX + 1] ;
  PROG = "pop3d" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  nodump() ;  /* other pop3d processes of phpop3 must not read our memory */
  config_load() ;
  {
    char const *x = config_get_default("PH_POP3_PLAINTEXT_AUTH", "loopback") ;
    if (!strcmp(x, "loopback")) d.plain = POP3D_PLAIN_LOOPBACK ;
    else if (!strcmp(x, "yes")) d.plain = POP3D_PLAIN_YES ;
    else if (!strcmp(x, "no")) d.plain = POP3D_PLAIN_NO ;
    else strerr_dief1x(100, "PH_POP3_PLAINTEXT_AUTH must be loopback, yes or no") ;
  }
  d.maxbad = get_uint("PH_POP3_MAX_BAD", 20, 100000) ;
  d.maxauthfail = get_uint("PH_POP3_MAX_AUTH_FAIL", 3, 100000) ;
  {
    char const *run = config_get("PH_RUN_DIR") ;
    if (!run) strerr_dienotset(100, "PH_RUN_DIR") ;
    d.authpath = socket_path(run, "auth.sock") ;
    d.sessionpath = socket_path(run, "pop3-session.sock") ;
  }
  {
    char const *h = config_hostname() ;
    size_t n = strlen(h) ;
    if (n > POP3D_HOST_MAX) n = POP3D_HOST_MAX ;
    memcpy(d.host, h, n) ;
    d.host[n] = 0 ;
  }
  d.rip = getenv("TCPREMOTEIP") ;
  d.rport = getenv("TCPREMOTEPORT") ;
  d.lip = getenv("TCPLOCALIP") ;
  d.lport = getenv("TCPLOCALPORT") ;
  if (!d.rip) d.rip = "" ;
  /* behind a balancer that named no client (PROXY LOCAL/UNKNOWN),
   * TCPREMOTEIP is the balancer's own, maybe loopback: not a local client */
  d.loopback = is_loopback(d.rip) && !getenv("TCPPROXYLOCAL") ;
  {
    char rnd[8] ;
    random_buf(rnd, sizeof(rnd)) ;
    d.session[ucharn_fmt(d.session, rnd, sizeof(rnd))] = 0 ;
  }
  if (ucspitls_env(&d.tlsinfo)) d.tls = 1 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the connection non-blocking") ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  d.io.rip = d.rip ;
  d.io.session = d.session ;
  tain_now_set_stopwatch_g() ;
  pop3_io_init(&d.io, get_uint("PH_POP3_PREAUTH_TIMEOUT", 60, 86400)) ;
  {
    logline l ;
    log_begin(&l, "connect") ;
    log_kv(&l, "ip", d.rip) ;
    log_kv(&l, "session", d.session) ;
    if (d.tls) log_kv(&l, "tls", d.tlsinfo.protocol) ;
    log_commit(&l) ;
  }
  pop3_io_puts(&d.io, "+OK ") ;
  pop3_io_puts(&d.io, d.host) ;
  pop3_io_reply(&d.io, " POP3 ready.") ;

  for (;;)
  {
    size_t len ;
    unsigned int flags ;
    int r = pop3_io_getline(&d.io, line, sizeof(line), &len, &flags) ;
    if (r < 0)
    {
      log_event2("disconnect", "ip", d.rip, "session", d.session) ;
      return 0 ;
    }
    if (!r) pop3d_bad(&d, "", "Line too long") ;
    else if (flags & (LINEIO_NUL | LINEIO_BARECR)) pop3d_bad(&d, "", "NUL byte or broken line") ;
    else pop3d_command(&d, line, len) ;
    explicit_bzero(line, sizeof(line)) ;
    wipe_consumed(&d.io.in.c) ;
    pop3_io_touch(&d.io) ;
  }
}

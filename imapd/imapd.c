/* ISC license. */

/* imapd: IMAP before login (RFC 9051, RFC 3501), the half that faces
 * the network without a mailbox (docs/internals.md, "Mail access").
 *
 * Security: runs as phimap under tcpd and tlsd (plaintext on fds 0/1;
 * TLS is tlsd's), one process per connection. It trusts nothing the
 * client sends: commands are assembled by the bounded imap_reader
 * (lines, literals ≤ IMAPD_LITERAL_MAX), AUTHENTICATE lines are bounded,
 * the connection has an idle deadline (PH_IMAP_PREAUTH_TIMEOUT), a BAD
 * limit and a failed-login limit. It never opens anything under
 * $PH_MAILROOT and never sees a password hash: credentials go to authd,
 * which answers with a one-time ticket; the client's fds and the ticket
 * then go to imap-session (uid vmail), which believes only the ticket.
 * It writes nothing on disk. It is not dumpable (nodump()): the other
 * imapd processes of phimap cannot read its memory; and once a command
 * is handled, its bytes are wiped from the command buffer and the input
 * buffer, so a password does not outlive its LOGIN or AUTHENTICATE. A
 * compromise gives the passwords of the clients that connect to this
 * process while it lasts, and a way to try passwords at authd's pace, no
 * more. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/cbuffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/random.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/banevent.h"
#include "common/log.h"
#include "common/nodump.h"
#include "common/ucspitls.h"
#include "imapd/imapd.h"

#define USAGE "imapd (under tcpd and tlsd, with PH_RUN_DIR set)"

static imapd d ;
static char inbuf[IMAPD_INBUF] ;
static char outbuf[IMAPD_OUTBUF] ;

/* Every command's bytes, passwords included, leave no copy behind: the
 * command buffer is preallocated above malloc's mmap threshold (so
 * growing it moves pages, not copies) and wiped up to its high-water
 * mark; the input buffer's free part (the consumed bytes) is wiped too. */
#define CMD_PREALLOC (2 * IMAP_LINE_MAX)
static size_t cmd_high = 0 ;

static void wipe_consumed (void)
{
  struct iovec v[2] ;
  cbuffer *c = &d.in.c ;
  if (d.rd.cmd.len > cmd_high) cmd_high = d.rd.cmd.len ;
  cbuffer_wpeek(c, v) ;
  for (unsigned int i = 0 ; i < 2 ; i++)
    if (v[i].iov_len) explicit_bzero(v[i].iov_base, v[i].iov_len) ;
  c->x[(c->p + c->a - 1) % c->a] = 0 ;  /* the slot cbuffer keeps empty */
}

static void wipe_command (void)
{
  if (cmd_high > d.rd.cmd.len) explicit_bzero(d.rd.cmd.s + d.rd.cmd.len, cmd_high - d.rd.cmd.len) ;
  cmd_high = d.rd.cmd.len ;
}

static unsigned int get_uint (char const *name, uint64_t def, uint64_t max)
{
  uint64_t n ;
  if (!config_get_uint(name, def, &n) || !n || n > max)
    strerr_dief3x(100, name, " must be a positive number up to ", max == 86400 ? "86400" : "100000") ;
  return (unsigned int)n ;
}

static int is_loopback (char const *ip)
{
  if (!ip) return 0 ;
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

static void reader_error (void)
{
  /* the tag of a refused command is not trusted to be one: untagged BAD
   * (RFC 9051 §7.1.5 allows it when the tag cannot be determined) */
  char const *why ;
  switch (d.rd.error)
  {
    case IMAP_READER_TOOLONG : why = "BAD Command line too long" ; break ;
    case IMAP_READER_LITERAL_TOOBIG : why = "BAD Literal too big before login" ; break ;
    case IMAP_READER_BADLITERAL : why = "BAD Malformed literal" ; break ;
    case IMAP_READER_BARELINE : why = "BAD NUL byte or broken line" ; break ;
    default : why = "BAD Out of memory" ; break ;
  }
  if (imap_reader_must_close(&d.rd))
  {
    log_event2("bad_command", "ip", d.rip, "reason", why + 4) ;
    if (d.rip && d.rip[0]) banevent_send("bad_command", d.rip, "imap", 0) ;
    imapd_bye(&d, why + 4, 1) ;
  }
  imapd_bad(&d, "*", "", why) ;
}

int main (int argc, char const *const *argv)
{
  PROG = "imapd" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  nodump() ;  /* other imapd processes of phimap must not read our memory */
  config_load() ;
  {
    char const *x = config_get_default("PH_IMAP_PLAINTEXT_AUTH", "loopback") ;
    if (!strcmp(x, "loopback")) d.plain = IMAPD_PLAIN_LOOPBACK ;
    else if (!strcmp(x, "yes")) d.plain = IMAPD_PLAIN_YES ;
    else if (!strcmp(x, "no")) d.plain = IMAPD_PLAIN_NO ;
    else strerr_dief1x(100, "PH_IMAP_PLAINTEXT_AUTH must be loopback, yes or no") ;
  }
  tain_uint(&d.idle, get_uint("PH_IMAP_PREAUTH_TIMEOUT", 60, 86400)) ;
  d.maxbad = get_uint("PH_IMAP_MAX_BAD", 20, 100000) ;
  d.maxauthfail = get_uint("PH_IMAP_MAX_AUTH_FAIL", 3, 100000) ;
  {
    char const *run = config_get("PH_RUN_DIR") ;
    if (!run) strerr_dienotset(100, "PH_RUN_DIR") ;
    d.authpath = socket_path(run, "auth.sock") ;
    d.sessionpath = socket_path(run, "imap-session.sock") ;
  }
  {
    char const *h = config_hostname() ;
    size_t n = strlen(h) ;
    if (n > IMAPD_HOST_MAX) n = IMAPD_HOST_MAX ;
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
  buffer_init(&d.in, &buffer_read, 0, inbuf, sizeof(inbuf)) ;
  buffer_init(&d.out, &buffer_write, 1, outbuf, sizeof(outbuf)) ;
  d.rd = (imap_reader)IMAP_READER_ZERO ;
  d.rd.literal_max = IMAPD_LITERAL_MAX ;
  if (!stralloc_ready(&d.rd.cmd, CMD_PREALLOC)) strerr_diefu1sys(111, "allocate memory") ;
  tain_now_set_stopwatch_g() ;
  imapd_touch(&d) ;
  {
    logline l ;
    log_begin(&l, "connect") ;
    log_kv(&l, "ip", d.rip) ;
    log_kv(&l, "session", d.session) ;
    if (d.tls) log_kv(&l, "tls", d.tlsinfo.protocol) ;
    log_commit(&l) ;
  }
  {
    /* RFC 9051 §7.1.1: the greeting may carry the capabilities, which
     * saves the client a round trip */
    stralloc g = STRALLOC_ZERO ;
    if (!stralloc_cats(&g, "* OK [CAPABILITY ") || !stralloc_cats(&g, imapd_capability(&d))
     || !stralloc_cats(&g, "] ") || !stralloc_cats(&g, d.host) || !stralloc_cats(&g, " ready\r\n"))
      strerr_diefu1sys(111, "allocate memory") ;
    imapd_put(&d, g.s, g.len) ;
    stralloc_free(&g) ;
  }

  for (;;)
  {
    int r = imap_reader_get(&d.rd, &d.in) ;
    if (!r)
    {
      if (d.rd.want_continuation) imapd_puts(&d, "+ Ready for literal data\r\n") ;
      if (!imapd_fill(&d))
      {
        log_event2("disconnect", "ip", d.rip, "session", d.session) ;
        return 0 ;
      }
      continue ;
    }
    if (r < 0) reader_error() ;
    else
    {
      imapd_command(&d) ;
      wipe_consumed() ;
      imap_reader_reset(&d.rd) ;
      wipe_command() ;
    }
    imapd_touch(&d) ;
  }
}

/* ISC license. */

/* pop3d: POP3 before login (RFC 1939 AUTHORIZATION state, RFC 2449
 * CAPA, RFC 2595 STLS, RFC 5034 AUTH), the half that faces the network
 * without a mailbox (docs/internals.md, "Mail access"). What it shares
 * with imapd (settings, counters, authd, the handover) is
 * common/preauth.h; the POP3 words are here.
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
 * is not dumpable (nodump(), first thing in preauth_init): the other
 * pop3d processes of phpop3 cannot read its memory; and once a command
 * is handled, its line and the consumed part of the input buffer are
 * wiped (preauth_wipe_consumed), so a password does not outlive its
 * PASS or AUTH. A compromise gives the passwords of the clients that
 * connect to this process while it lasts, and a way to try passwords at
 * authd's pace. */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/lineio.h"
#include "common/log.h"
#include "common/preauth.h"
#include "pop3d/pop3d.h"

#define USAGE "pop3d (under tcpd and tlsd, with PH_RUN_DIR set)"

static pop3d d ;

int main (int argc, char const *const *argv)
{
  static char line[POP3_LINE_MAX + 1] ;
  PROG = "pop3d" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  preauth_init(&d.p, "pop3", "PH_POP3") ;
  d.io.rip = d.p.rip ;
  d.io.session = d.p.session ;
  pop3_io_init(&d.io, d.p.idlesecs) ;
  pop3_io_puts(&d.io, "+OK ") ;
  pop3_io_puts(&d.io, d.p.host) ;
  pop3_io_reply(&d.io, " POP3 ready.") ;

  for (;;)
  {
    size_t len ;
    unsigned int flags ;
    int r = pop3_io_getline(&d.io, line, sizeof(line), &len, &flags) ;
    if (r < 0)
    {
      log_event2("disconnect", "ip", d.p.rip, "session", d.p.session) ;
      return 0 ;
    }
    if (!r) pop3d_bad(&d, "", "Line too long") ;
    else if (flags & (LINEIO_NUL | LINEIO_BARECR)) pop3d_bad(&d, "", "NUL byte or broken line") ;
    else pop3d_command(&d, line, len) ;
    explicit_bzero(line, sizeof(line)) ;
    preauth_wipe_consumed(&d.io.in.c) ;
    pop3_io_touch(&d.io) ;
  }
}

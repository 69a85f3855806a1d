/* ISC license. */

/* pop3-session: the POP3 mailbox session's entry point (docs/internals.md,
 * "Handover"; pop3d/README.md). The start it shares with imap-session
 * (peer, handover, ticket) is common/handover_accept.c.
 *
 * Security: s6-ipcserver runs one per connection on
 * $PH_RUN_DIR/pop3-session.sock, as vmail, the owner of the Maildirs.
 * Its peer must be root or in PH_SESSION_UIDS (pop3d's phpop3; checked
 * from IPCREMOTEEUID, the kernel's word) before a byte is read. Of the
 * handover it believes only the ticket: authd -m (auth-master.sock)
 * turns it, once, into the account and its Maildir; the user name and
 * addresses sent along are only used for the logs. The handover is
 * bounded (64 KiB body, two fds, 10 s); the client's commands are
 * bounded lines with an idle deadline. It never reads a password. A
 * compromise gives every Maildir (vmail's), not the passwords. */

#include <stdint.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "common/handover_accept.h"
#include "common/mbox.h"
#include "pop3d/pop3_session.h"

#define USAGE "pop3-session (under s6-ipcserver on pop3-session.sock)"

static handover_session hs = HANDOVER_SESSION_ZERO ;
static pop3_session s ;

int main (int argc, char const *const *argv)
{
  static handover_service const pop3 = { .name = "pop3", .wrong_text = "not a POP3 handover", .need_tag = 0 } ;
  uint64_t n ;
  PROG = "pop3-session" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  config_load() ;
  if (!config_get_uint("PH_POP3_TIMEOUT", 600, &n) || n < 1 || n > 86400)
    strerr_dief1x(100, "PH_POP3_TIMEOUT must be a number of seconds from 1 to 86400") ;
  {
    uint64_t b ;
    if (!config_get_uint("PH_POP3_MAX_BAD", 20, &b) || !b || b > 100000)
      strerr_dief1x(100, "PH_POP3_MAX_BAD must be a positive number up to 100000") ;
    s.maxbad = (unsigned int)b ;
  }
  handover_accept(&pop3, &hs) ;
  s.user = hs.u.user ;
  s.maildir = hs.maildir.s ;
  s.rip = handover_session_field(&hs, "rip") ;
  s.session = handover_session_field(&hs, "session") ;
  s.io.rip = s.rip ;
  s.io.session = s.session ;
  s.lockfd = -1 ;
  s.box = (mbox)MBOX_ZERO ;
  pop3_io_init(&s.io, (unsigned int)n) ;
  pop3_session_run(&s, hs.h.pending, hs.h.pendinglen) ;
}

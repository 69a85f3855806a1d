/* ISC license. */

/* imap-session: the IMAP mailbox session's entry point (docs/internals.md,
 * "Handover"; imapd/README.md). The start it shares with pop3-session
 * (peer, handover, ticket) is common/handover_accept.c.
 *
 * Security: s6-ipcserver runs one per connection on
 * $PH_RUN_DIR/imap-session.sock, as vmail, the owner of the Maildirs.
 * Its peer must be root or in PH_SESSION_UIDS (imapd's phimap; checked
 * from IPCREMOTEEUID, the kernel's word) before a byte is read. Of the
 * handover it believes only the ticket: authd -m (auth-master.sock)
 * turns it, once, into the account and its Maildir; the user name, tag
 * and addresses sent along are only used for the logs and the tagged
 * OK. The handover is bounded (64 KiB body, two fds, 10 s). It never
 * reads a password. A compromise gives every Maildir (vmail's), not the
 * passwords. */

#include <skalibs/strerr.h>

#include "common/config.h"
#include "common/handover_accept.h"
#include "imapd/imap_session.h"
#include "imapd/imap_session-internal.h"

#define USAGE "imap-session (under s6-ipcserver on imap-session.sock)"

static handover_session hs = HANDOVER_SESSION_ZERO ;
static imap_login login ;

int main (int argc, char const *const *argv)
{
  static handover_service const imap = { .name = "imap", .wrong_text = "not an IMAP handover", .need_tag = 1 } ;
  PROG = "imap-session" ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  imap_session_malloc_tunables(argv) ;
  config_load() ;
  handover_accept(&imap, &hs) ;
  login.user = hs.u.user ;
  login.maildir = hs.maildir.s ;
  login.quota = hs.u.quota ;
  login.tag = handover_session_field(&hs, "tag") ;
  login.rip = handover_session_field(&hs, "rip") ;
  login.lip = handover_session_field(&hs, "lip") ;
  login.session_id = handover_session_field(&hs, "session") ;
  login.tls = hs.tls ;
  login.ssl_protocol = login.tls ? handover_session_field(&hs, "SSL_PROTOCOL") : 0 ;
  login.ssl_cipher = login.tls ? handover_session_field(&hs, "SSL_CIPHER") : 0 ;
  login.pending = hs.h.pending ;
  login.pendinglen = hs.h.pendinglen ;
  imap_session_run(&login) ;
}

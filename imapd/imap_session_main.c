/* ISC license. */

/* imap-session: the IMAP mailbox session's entry point (docs/internals.md,
 * "Handover"; imapd/README.md).
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

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/gccattributes.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/authmaster.h"
#include "common/config.h"
#include "common/handover.h"
#include "common/log.h"
#include "imapd/imap_session.h"
#include "imapd/imap_session-internal.h"

#define USAGE "imap-session (under s6-ipcserver on imap-session.sock)"
#define MASTER_SECS 10

static handover h = HANDOVER_ZERO ;
static authmaster_user u ;
static imap_login login ;

static void refuse (char code, char const *text, char const *why) gccattr_noreturn ;
static void refuse (char code, char const *text, char const *why)
{
  tain deadline ;
  logline l ;
  log_begin(&l, "session_refused") ;
  log_kv(&l, "reason", why) ;
  if (h.body.s)
  {
    char const *x = handover_get(&h, "rip") ;
    if (x) log_kv(&l, "ip", x) ;
    x = handover_get(&h, "session") ;
    if (x) log_kv(&l, "session", x) ;
  }
  log_commit(&l) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  handover_answer(1, code, text, &deadline) ;
  handover_free(&h) ;
  _exit(code == 'Z' ? 111 : 1) ;
}

static char const *field (char const *key)
{
  char const *x = handover_get(&h, key) ;
  return x ? x : "" ;
}

int main (int argc, char const *const *argv)
{
  static stralloc path = STRALLOC_ZERO ;
  static stralloc maildir = STRALLOC_ZERO ;
  char const *x ;
  tain deadline ;
  PROG = "imap-session" ;
  if (argc > 1) strerr_dieusage(100, USAGE) ;
  imap_session_malloc_tunables(argv) ;
  config_load() ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefu1sys(111, "ignore SIGPIPE") ;
  {
    int r = handover_peer_ok(config_get("PH_SESSION_UIDS")) ;
    if (r < 0) strerr_dief1x(100, "PH_SESSION_UIDS must be comma-separated uids") ;
    if (!r)
    {
      x = getenv("IPCREMOTEEUID") ;
      log_event2("refused", "euid", x ? x : "unknown", "reason", "peer uid not allowed") ;
      return 1 ;
    }
  }
  x = config_get("PH_RUN_DIR") ;
  if (!x) strerr_dienotset(100, "PH_RUN_DIR") ;
  if (!stralloc_cats(&path, x) || !stralloc_cats(&path, "/auth-master.sock") || !stralloc_0(&path))
    strerr_diefu1sys(111, "allocate memory") ;
  if (!config_get("PH_MAILROOT")) strerr_dienotset(100, "PH_MAILROOT") ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;

  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  if (!handover_receive(0, &h, &deadline))
  {
    log_event1("handover_fail", "error", strerror(errno)) ;
    return errno == ETIMEDOUT ? 99 : 1 ;
  }
  if (strcmp(field("service"), "imap")) refuse('D', "not an IMAP handover", "wrong service") ;
  if (!field("tag")[0]) refuse('D', "no tag", "no tag") ;

  tain_now_g() ;
  tain_addsec_g(&deadline, MASTER_SECS) ;
  switch (authmaster_request_rip(path.s, field("ticket"), "imap", field("rip"), &u, &deadline))
  {
    case AUTHMASTER_USER : break ;
    case AUTHMASTER_FAIL :
      if (u.temp) refuse('Z', u.reason, u.reason) ;
      refuse('D', u.reason, u.reason) ;
    default :
      if (errno == EINVAL) refuse('D', "malformed ticket", "malformed ticket") ;
      refuse('Z', "authentication service unavailable", strerror(errno)) ;
  }
  /* authd's word, never the handover's: the Maildir is under PH_MAILROOT
   * by construction (maildir_path_valid in authmaster_reply_parse) */
  if (!stralloc_cats(&maildir, config_get("PH_MAILROOT")) || !stralloc_catb(&maildir, "/", 1)
   || !stralloc_cats(&maildir, u.maildir) || !stralloc_0(&maildir))
    refuse('Z', "out of memory", "out of memory") ;

  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT) ;
  if (!handover_answer(1, 'K', 0, &deadline))
  {
    /* imapd is gone: the client will never see our greeting's OK */
    log_event2("handover_fail", "error", strerror(errno), "user", u.user) ;
    handover_free(&h) ;
    return 1 ;
  }
  /* the client's fds become 0 and 1 (dup2 clears close-on-exec); the
   * spawner's socket goes with them */
  if (fd_move(0, h.fd[0]) < 0) strerr_diefu1sys(111, "move the client's read fd") ;
  h.fd[0] = -1 ;
  if (h.fd[1] == 0) strerr_dief1x(101, "client write fd collides") ;
  if (fd_move(1, h.fd[1]) < 0) strerr_diefu1sys(111, "move the client's write fd") ;
  h.fd[1] = -1 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefu1sys(111, "make the client's fds non-blocking") ;

  login.user = u.user ;
  login.maildir = maildir.s ;
  login.quota = u.quota ;
  login.tag = field("tag") ;
  login.rip = field("rip") ;
  login.lip = field("lip") ;
  login.session_id = field("session") ;
  login.tls = !strcmp(field("tls"), "1") ;
  login.ssl_protocol = login.tls ? field("SSL_PROTOCOL") : 0 ;
  login.ssl_cipher = login.tls ? field("SSL_CIPHER") : 0 ;
  login.pending = h.pending ;
  login.pendinglen = h.pendinglen ;
  {
    logline l ;
    log_begin(&l, "session_start") ;
    log_kv(&l, "user", u.user) ;
    log_kv(&l, "ip", login.rip) ;
    log_kv(&l, "session", login.session_id) ;
    if (login.tls) log_kv(&l, "tls", login.ssl_protocol) ;
    log_commit(&l) ;
  }
  imap_session_run(&login) ;
}

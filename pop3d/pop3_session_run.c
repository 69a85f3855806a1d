/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>

#include <skalibs/alloc.h>
#include <skalibs/cbuffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/lineio.h"
#include "common/log.h"
#include "common/mbox.h"
#include "pop3d/pop3_session.h"

/* From "+OK" to the end: the maildrop is locked for POP3 (RFC 1939 §4:
 * "the server then acquires an exclusive-access lock on the maildrop";
 * RFC 2449 [IN-USE] when another POP3 session has it), the INBOX is
 * opened once (new/ -> cur/, UIDs assigned, as imap-session does) and
 * that view is the session's for its whole life (RFC 1939 §5: message
 * numbers do not change). imap-session and deliverd go on meanwhile:
 * their changes are seen at the next login. */

static pop3_session *cur ;

int pop3_session_lock (char const *maildir)
{
  stralloc sa = STRALLOC_ZERO ;
  int fd ;
  if (!stralloc_cats(&sa, maildir) || !stralloc_cats(&sa, "/" POP3_LOCK_FILE) || !stralloc_0(&sa)) return -1 ;
  fd = open(sa.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) ;
  stralloc_free(&sa) ;
  if (fd < 0) return -1 ;
  /* flock: released by the kernel when the process dies, however it dies */
  if (flock(fd, LOCK_EX | LOCK_NB) < 0)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e == EAGAIN ? EWOULDBLOCK : e ;
    return -1 ;
  }
  return fd ;
}

void pop3_session_logout_line (pop3_session *s, char const *how, int applied)
{
  logline l ;
  size_t deleted = 0 ;
  if (applied)
    for (size_t i = 0 ; i < s->n ; i++) if (s->mark[i] & POP3_MARK_DELETED) deleted++ ;
  log_begin(&l, "logout") ;
  log_kv(&l, "ip", s->rip) ;
  log_kv(&l, "user", s->user) ;
  log_kv(&l, "session", s->session) ;
  log_kv(&l, "how", how) ;
  log_kvu(&l, "retr", s->retr) ;
  log_kvu(&l, "top", s->top) ;
  log_kvu(&l, "bytes", s->bytes) ;
  log_kvu(&l, "deleted", deleted) ;
  log_kvu(&l, "messages", s->n) ;
  log_commit(&l) ;
}

/* The client went away or timed out: no UPDATE state (RFC 1939 §6), so
 * nothing is expunged; \Seen is still set on what was retrieved, as
 * Dovecot does (pop3-client.c applies the seen changes on destroy). */
static void on_close (void)
{
  if (!cur || cur->ended) return ;
  if (!pop3_session_update(cur, 0))
    log_event3("update_fail", "ip", cur->rip, "user", cur->user, "error", strerror(errno)) ;
  pop3_session_logout_line(cur, "disconnect", 0) ;
}

static void fail_start (pop3_session *s, char const *reply, char const *event, int e)
{
  log_event3(event, "ip", s->rip, "user", s->user, "error", strerror(errno)) ;
  pop3_io_reply(&s->io, reply) ;
  _exit(e) ;
}

void pop3_session_run (pop3_session *s, char const *pending, size_t pendinglen)
{
  static char line[POP3_LINE_MAX + 1] ;
  if (!mbox_setup_defaults(s->maildir))
    fail_start(s, "-ERR [SYS/TEMP] Your mailbox cannot be opened now, try again later.", "pop3_setup_fail", 111) ;
  s->lockfd = pop3_session_lock(s->maildir) ;
  if (s->lockfd < 0)
  {
    if (errno == EWOULDBLOCK)
    {
      log_event3("in_use", "ip", s->rip, "user", s->user, "session", s->session) ;
      pop3_io_reply(&s->io, "-ERR [IN-USE] Mailbox is locked by another POP3 session.") ;
      _exit(1) ;
    }
    fail_start(s, "-ERR [SYS/TEMP] Your mailbox cannot be locked now, try again later.", "pop3_lock_fail", 111) ;
  }
  if (!mbox_open(&s->box, s->maildir, "INBOX", 0))
    fail_start(s, "-ERR [SYS/TEMP] Your mailbox cannot be opened now, try again later.", "pop3_open_fail", 111) ;
  s->n = mbox_count(&s->box) ;
  s->mark = alloc(s->n + 1) ;
  if (!s->mark) fail_start(s, "-ERR [SYS/TEMP] Out of memory.", "pop3_open_fail", 111) ;
  memset(s->mark, 0, s->n + 1) ;
  s->total = 0 ;
  for (size_t i = 0 ; i < s->n ; i++) s->total += mbox_at(&s->box, i)->size ;
  cur = s ;
  s->io.on_close = &on_close ;
  /* the bytes the client pipelined after PASS/AUTH come first */
  if (pendinglen && cbuffer_put(&s->io.in.c, pending, pendinglen) != pendinglen)
    fail_start(s, "-ERR [SYS/TEMP] Too much pipelined input.", "pop3_open_fail", 111) ;
  {
    logline l ;
    log_begin(&l, "pop3_session") ;
    log_kv(&l, "ip", s->rip) ;
    log_kv(&l, "user", s->user) ;
    log_kv(&l, "session", s->session) ;
    log_kvu(&l, "messages", s->n) ;
    log_kvu(&l, "octets", s->total) ;
    log_commit(&l) ;
  }
  pop3_io_reply(&s->io, "+OK Logged in.") ;
  for (;;)
  {
    size_t len ;
    unsigned int flags ;
    int r ;
    pop3_io_touch(&s->io) ;
    r = pop3_io_getline(&s->io, line, sizeof(line), &len, &flags) ;
    if (r < 0)
    {
      on_close() ;
      _exit(0) ;
    }
    if (!r) pop3_session_bad(s, "", "Line too long") ;
    else if (flags & (LINEIO_NUL | LINEIO_BARECR)) pop3_session_bad(s, "", "NUL byte or broken line") ;
    else pop3_session_command(s, line, len) ;
  }
}

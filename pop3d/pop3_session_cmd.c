/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/types.h>

#include "common/badcommand.h"
#include "common/log.h"
#include "common/mbox.h"
#include "pop3d/pop3_session.h"

/* The TRANSACTION state (RFC 1939 §5, §7; RFC 2449 CAPA). Message
 * numbers are 1..n of the snapshot; a deleted message is invisible to
 * every command but RSET. */

void pop3_session_bad (pop3_session *s, char const *name, char const *text)
{
  pop3_io_puts(&s->io, "-ERR ") ;
  pop3_io_reply(&s->io, text) ;
  if (badcommand_count(&s->bad, s->maxbad, "pop3", s->rip, s->session, name))
    pop3_io_bye(&s->io, "Too many bad commands.", 1) ;
}

static void put_u64 (pop3_session *s, uint64_t n)
{
  char buf[UINT64_FMT] ;
  pop3_io_put(&s->io, buf, uint64_fmt(buf, n)) ;
}

/* The message numbered num, or -1 after answering -ERR. */
static ssize_t message (pop3_session *s, uint32_t num)
{
  if (!num || num > s->n)
  {
    char buf[UINT32_FMT] ;
    pop3_io_puts(&s->io, "-ERR There's no message ") ;
    pop3_io_put(&s->io, buf, uint32_fmt(buf, num)) ;
    pop3_io_reply(&s->io, ".") ;
    return -1 ;
  }
  if (s->mark[num - 1] & POP3_MARK_DELETED)
  {
    pop3_io_reply(&s->io, "-ERR Message is deleted.") ;
    return -1 ;
  }
  return num - 1 ;
}

static void scan_line (pop3_session *s, size_t i, int uidl)
{
  put_u64(s, i + 1) ;
  pop3_io_put(&s->io, " ", 1) ;
  if (uidl)
  {
    char const *saved = s->box.names.s + mbox_at(&s->box, i)->pop3uidl ;
    if (saved[0]) pop3_io_puts(&s->io, saved) ;   /* a UIDL migrated into the uidlist (docs/mailstore.md) */
    else
    {
      char u[POP3_UIDL_LEN] ;
      pop3_uidl_fmt(u, mbox_at(&s->box, i)->uid, s->box.uidvalidity) ;
      pop3_io_put(&s->io, u, POP3_UIDL_LEN) ;
    }
  }
  else put_u64(s, mbox_at(&s->box, i)->size) ;
}

static void do_stat (pop3_session *s)
{
  uint64_t count = 0, octets = 0 ;
  for (size_t i = 0 ; i < s->n ; i++)
    if (!(s->mark[i] & POP3_MARK_DELETED)) { count++ ; octets += mbox_at(&s->box, i)->size ; }
  pop3_io_puts(&s->io, "+OK ") ;
  put_u64(s, count) ;
  pop3_io_put(&s->io, " ", 1) ;
  put_u64(s, octets) ;
  pop3_io_reply(&s->io, "") ;
}

/* LIST and UIDL (RFC 1939 §5, §7): one message, or all not deleted */
static void do_list (pop3_session *s, pop3_cmd const *c, int uidl)
{
  if (c->nnum)
  {
    ssize_t i = message(s, c->num[0]) ;
    if (i < 0) return ;
    pop3_io_puts(&s->io, "+OK ") ;
    scan_line(s, (size_t)i, uidl) ;
    pop3_io_reply(&s->io, "") ;
    return ;
  }
  pop3_io_puts(&s->io, uidl ? "+OK\r\n" : "+OK Scan list follows\r\n") ;
  for (size_t i = 0 ; i < s->n ; i++)
  {
    if (s->mark[i] & POP3_MARK_DELETED) continue ;
    scan_line(s, i, uidl) ;
    pop3_io_put(&s->io, "\r\n", 2) ;
  }
  pop3_io_reply(&s->io, ".") ;
}

static void do_retr (pop3_session *s, pop3_cmd const *c, int top)
{
  int64_t sent ;
  ssize_t i = message(s, c->num[0]) ;
  if (i < 0) return ;
  /* TOP's count is bounded by 2^32-1: as good as "all" */
  sent = pop3_session_send(s, (size_t)i, top ? (int64_t)c->num[1] : -1) ;
  if (sent < 0)
  {
    log_event3("retr_fail", "ip", s->rip, "user", s->user, "error", strerror(errno)) ;
    if (errno == ENOENT) pop3_io_reply(&s->io, "-ERR Message was expunged by another session.") ;
    else pop3_io_reply(&s->io, "-ERR [SYS/TEMP] Message cannot be read now.") ;
    return ;
  }
  s->bytes += (uint64_t)sent ;
  if (top) s->top++ ;
  else
  {
    s->retr++ ;
    s->mark[i] |= POP3_MARK_RETRIEVED ;
  }
}

static void do_dele (pop3_session *s, pop3_cmd const *c)
{
  ssize_t i = message(s, c->num[0]) ;
  if (i < 0) return ;
  s->mark[i] |= POP3_MARK_DELETED ;
  pop3_io_reply(&s->io, "+OK Marked to be deleted.") ;
}

static void do_rset (pop3_session *s)
{
  /* RFC 1939 §5: unmark the deleted; the retrievals are forgotten too,
   * as Dovecot forgets its seen changes */
  memset(s->mark, 0, s->n) ;
  pop3_io_reply(&s->io, "+OK") ;
}

static void do_quit (pop3_session *s)
{
  /* RFC 1939 §6: the UPDATE state. A failure leaves the maildrop as
   * it was as far as possible, and says so. */
  int ok = pop3_session_update(s, 1) ;
  if (!ok) log_event3("update_fail", "ip", s->rip, "user", s->user, "error", strerror(errno)) ;
  /* the lock goes before the answer: a client that reconnects at once
   * (fetchmail's next poll, a second account pass) must not find it */
  if (s->lockfd >= 0) { fd_close(s->lockfd) ; s->lockfd = -1 ; }
  if (!ok) pop3_io_reply(&s->io, "-ERR [SYS/TEMP] Some deleted messages were not removed.") ;
  else pop3_io_reply(&s->io, "+OK Logging out.") ;
  pop3_session_logout_line(s, "quit", 1) ;
  _exit(0) ;
}

void pop3_session_command (pop3_session *s, char const *line, size_t len)
{
  pop3_cmd c ;
  if (!pop3_cmd_parse(line, len, &c))
  {
    pop3_session_bad(s, pop3_cmd_name(c.verb), c.error) ;
    return ;
  }
  switch (c.verb)
  {
    case POP3_STAT : do_stat(s) ; break ;
    case POP3_LIST : do_list(s, &c, 0) ; break ;
    case POP3_UIDL : do_list(s, &c, 1) ; break ;
    case POP3_RETR : do_retr(s, &c, 0) ; break ;
    case POP3_TOP : do_retr(s, &c, 1) ; break ;
    case POP3_DELE : do_dele(s, &c) ; break ;
    case POP3_NOOP : pop3_io_reply(&s->io, "+OK") ; break ;
    case POP3_RSET : do_rset(s) ; break ;
    case POP3_QUIT : do_quit(s) ; break ;
    case POP3_CAPA :
      pop3_io_reply(&s->io, "+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION posthaste\r\n.") ;
      break ;
    case POP3_UNKNOWN : pop3_session_bad(s, c.name, "Unknown command") ; break ;
    default : pop3_session_bad(s, c.name, "Command not valid in this state") ; break ;
  }
}

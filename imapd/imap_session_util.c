/* ISC license. */

#include <string.h>
#include <skalibs/stralloc.h>
#include "common/log.h"
#include "imapd/imap_session-internal.h"

int imap_bad (imap_session *s, char const *tag, imap_cursor const *c)
{
  return imap_tagged2(s, tag, "BAD ", c->error ? c->error : "Syntax error") ;
}

int imap_done (imap_session *s, char const *tag, char const *text)
{
  return imap_session_notify(s, 1) && imap_tagged(s, tag, text) ;
}

int imap_sess_rev2 (imap_session const *s)
{
  return !!(s->enabled & IMAP_ENABLED_REV2) ;
}

void imap_deselect (imap_session *s)
{
  if (s->state != IMAP_STATE_SELECTED) return ;
  imap_sio_watch_box(s->login->maildir, 0) ;
  mbox_close(&s->box) ;
  {
    mbox zero = MBOX_ZERO ;
    s->box = zero ;
  }
  s->readonly = 0 ;
  s->saved.len = 0 ;   /* RFC 5182 §2.1: "$" is empty in a new mailbox */
  s->state = IMAP_STATE_AUTH ;
}

void imap_log_event (imap_session const *s, char const *event, char const *k, char const *v)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "ip", s->login->rip) ;
  log_kv(&l, "user", s->login->user) ;
  if (s->login->session_id) log_kv(&l, "session", s->login->session_id) ;
  if (k) log_kv(&l, k, v) ;
  log_commit(&l) ;
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/genalloc.h>

#include "common/mbox.h"
#include "pop3d/pop3_session.h"

/* The UPDATE state (RFC 1939 §6). The snapshot's marks are turned into
 * UIDs first (its indexes stop meaning anything once the mailbox is
 * synced), the mailbox is brought up to date (imap-session may have
 * changed flags or expunged meanwhile, and mbox_store writes whole flag
 * sets), then each retrieved message still there gets \Seen, and the
 * deleted ones go in one mbox_expunge: under the uidlist lock, fsynced,
 * recorded for QRESYNC, so an IMAP client sees them vanish at once and
 * a Dovecot on the same Maildir agrees. */

static ssize_t find_uid (mbox *m, uint32_t uid)
{
  size_t lo = 0, hi = mbox_count(m) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    uint32_t u = mbox_at(m, mid)->uid ;
    if (u == uid) return mid ;
    if (u < uid) lo = mid + 1 ; else hi = mid ;
  }
  return -1 ;
}

int pop3_session_update (pop3_session *s, int expunge)
{
  genalloc seen = GENALLOC_ZERO ;   /* uint32_t */
  genalloc gone = GENALLOC_ZERO ;   /* uint32_t, ascending: mbox_expunge wants it sorted */
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  int ok = 1, e = 0 ;
  if (s->ended) return 1 ;
  s->ended = 1 ;
  for (size_t i = 0 ; i < s->n ; i++)
  {
    uint32_t uid = mbox_at(&s->box, i)->uid ;
    if (expunge && s->mark[i] & POP3_MARK_DELETED)
    {
      if (!genalloc_append(uint32_t, &gone, &uid)) { ok = 0 ; e = errno ; goto end ; }
    }
    else if (s->mark[i] & POP3_MARK_RETRIEVED)
    {
      if (!genalloc_append(uint32_t, &seen, &uid)) { ok = 0 ; e = errno ; goto end ; }
    }
  }
  if (!genalloc_len(uint32_t, &seen) && !genalloc_len(uint32_t, &gone)) goto end ;
  if (!mbox_sync(&s->box, &ch)) { ok = 0 ; e = errno ; goto end ; }
  for (size_t k = 0 ; k < genalloc_len(uint32_t, &seen) ; k++)
  {
    ssize_t i = find_uid(&s->box, genalloc_s(uint32_t, &seen)[k]) ;
    mbox_msg const *x ;
    if (i < 0) continue ;   /* expunged elsewhere meanwhile */
    x = mbox_at(&s->box, i) ;
    if (x->flags & MBOX_SEEN) continue ;
    if (!mbox_store(&s->box, (size_t)i, x->flags | MBOX_SEEN, x->keywords, 0) && errno != ENOENT)
    {
      ok = 0 ;
      e = errno ;
    }
  }
  if (genalloc_len(uint32_t, &gone)
   && !mbox_expunge(&s->box, genalloc_s(uint32_t, &gone), genalloc_len(uint32_t, &gone), MBOX_EXPUNGE_FORCE, &ch))
  {
    ok = 0 ;
    e = errno ;
  }
 end:
  mbox_changes_free(&ch) ;
  genalloc_free(uint32_t, &seen) ;
  genalloc_free(uint32_t, &gone) ;
  if (!ok) errno = e ;
  return ok ;
}

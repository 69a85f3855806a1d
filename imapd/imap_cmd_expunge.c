/* ISC license. */

/* EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): the
 * removed messages are reported as EXPUNGE in descending order, or as
 * VANISHED under QRESYNC (RFC 7162 §3.2.10), with [HIGHESTMODSEQ] in
 * the completion then. The Maildir++ quota count is lowered by what
 * left. */

#include <errno.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/maildirsize.h"
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

int imap_cmd_expunge (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  genalloc idx = GENALLOC_ZERO ;     /* size_t */
  genalloc uids = GENALLOC_ZERO ;    /* uint32_t */
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  int64_t bytes = 0, count = 0 ;
  int ret ;
  if (uid && (!imap_sp(c) || !imap_seqset_parse(c, &set))) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (!imap_end(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (s->readonly) { ret = imap_tagged(s, tag, "NO [READ-ONLY] The mailbox is read-only") ; goto end ; }
  if (uid)
  {
    if (!imap_resolve_set(s, &set, 1, &idx)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
    for (size_t k = 0 ; k < genalloc_len(size_t, &idx) ; k++)
    {
      mbox_msg const *m = mbox_at(&s->box, genalloc_s(size_t, &idx)[k]) ;
      if (!(m->flags & MBOX_DELETED)) continue ;
      if (!genalloc_append(uint32_t, &uids, &m->uid)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
      bytes += m->fsize ; count++ ;
    }
    if (!count) { ret = imap_done(s, tag, "OK UID EXPUNGE completed") ; goto end ; }
  }
  else
  {
    for (size_t i = 0 ; i < mbox_count(&s->box) ; i++)
      if (mbox_at(&s->box, i)->flags & MBOX_DELETED) { bytes += mbox_at(&s->box, i)->fsize ; count++ ; }
  }
  if (!mbox_expunge(&s->box, uid ? genalloc_s(uint32_t, &uids) : 0, uid ? genalloc_len(uint32_t, &uids) : 0, 0, &ch))
  {
    int e = errno ;
    imap_log_event(s, "imap_expunge_fail", "error", strerror(e)) ;
    ret = imap_tagged(s, tag, e == ETIMEDOUT ? "NO [INUSE] The mailbox is locked, try again" : "NO [UNAVAILABLE] Expunge failed") ;
    goto end ;
  }
  if (count) maildirsize_append(imap_sio.rootfd, -bytes, -count) ;
  if (!imap_report_changes(s, &ch)) { ret = 0 ; goto end ; }
  if (s->enabled & IMAP_ENABLED_QRESYNC)
  {
    stralloc *sa = &s->out ;
    sa->len = 0 ;
    if (!stralloc_cats(sa, "OK [HIGHESTMODSEQ ") || !imap_fmt_u64(sa, s->box.highestmodseq) || !stralloc_cats(sa, "] Expunged") || !stralloc_0(sa))
      ret = imap_tagged(s, tag, "OK Expunged") ;
    else ret = imap_tagged(s, tag, sa->s) ;
  }
  else ret = imap_tagged(s, tag, "OK EXPUNGE completed") ;
 end:
  imap_seqset_free(&set) ;
  genalloc_free(size_t, &idx) ;
  genalloc_free(uint32_t, &uids) ;
  mbox_changes_free(&ch) ;
  return ret ;
}

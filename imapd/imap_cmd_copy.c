/* ISC license. */

/* COPY / UID COPY (RFC 9051 §6.4.7) and MOVE / UID MOVE (RFC 6851).
 * Both answer COPYUID (RFC 4315 §3); MOVE sends it in an untagged OK
 * before the EXPUNGE (or VANISHED) responses, as RFC 6851 §4.3 asks.
 * A copy counts against the quota (hard links included: Dovecot and
 * the Maildir++ recalculation count every file); a move into the same
 * Maildir changes nothing. */

#include <errno.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/maildirsize.h"
#include "common/mbox.h"
#include "common/spamlearn.h"
#include "imapd/imap_session-internal.h"

static int sorted (uint32_t const *a, size_t n)
{
  for (size_t i = 1 ; i < n ; i++) if (a[i] <= a[i-1]) return 0 ;
  return 1 ;
}

/* "COPYUID <uidvalidity> <source uids> <new uids>": the two sets must
 * pair up in order, so unsorted new UIDs are written one by one. */
static int cat_copyuid (stralloc *sa, uint32_t uidvalidity, uint32_t const *src, uint32_t const *dst, size_t n)
{
  if (!stralloc_cats(sa, "[COPYUID ") || !imap_fmt_u64(sa, uidvalidity) || !stralloc_catb(sa, " ", 1)) return 0 ;
  if (sorted(dst, n))
  {
    if (!imap_fmt_uids(sa, src, n) || !stralloc_catb(sa, " ", 1) || !imap_fmt_uids(sa, dst, n)) return 0 ;
  }
  else
  {
    for (size_t i = 0 ; i < n ; i++) if ((i && !stralloc_catb(sa, ",", 1)) || !imap_fmt_u64(sa, src[i])) return 0 ;
    if (!stralloc_catb(sa, " ", 1)) return 0 ;
    for (size_t i = 0 ; i < n ; i++) if ((i && !stralloc_catb(sa, ",", 1)) || !imap_fmt_u64(sa, dst[i])) return 0 ;
  }
  return stralloc_catb(sa, "]", 1) ;
}

static int copy_or_move (imap_session *s, imap_cursor *c, char const *tag, int uid, int move)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  genalloc idx = GENALLOC_ZERO ;     /* size_t */
  genalloc src = GENALLOC_ZERO ;     /* uint32_t */
  genalloc dst = GENALLOC_ZERO ;     /* uint32_t */
  stralloc *sa = &s->out ;
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  uint32_t uidvalidity = 0 ;
  uint64_t bytes = 0 ;
  size_t n ;
  int ret ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_seqset_parse(c, &set) || !imap_sp(c) || !imap_mailbox(c, sa) || !imap_end(c)) { ret = imap_bad(s, tag, c) ; goto end ; }
  if (move && s->readonly) { ret = imap_tagged(s, tag, "NO [READ-ONLY] The mailbox is read-only") ; goto end ; }
  if (!imap_name_in(s, sa->s, &imap_sio.name)) { ret = imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ; goto end ; }
  if (!imap_resolve_set(s, &set, uid, &idx))
  {
    ret = errno == ERANGE ? imap_tagged(s, tag, "BAD Message sequence number beyond the mailbox") : imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
    goto end ;
  }
  n = genalloc_len(size_t, &idx) ;
  if (!n)
  {
    /* RFC 9051 §6.4.9: UID COPY of UIDs that do not exist is no error */
    ret = imap_done(s, tag, move ? "OK No messages moved" : "OK No messages copied") ;
    goto end ;
  }
  if (move && !strcmp(imap_sio.name.s, s->box.folder.s)) { ret = imap_tagged(s, tag, "NO [CANNOT] Source and destination are the same") ; goto end ; }
  if (!genalloc_ready(uint32_t, &src, n) || !genalloc_ready(uint32_t, &dst, n)) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
  for (size_t i = 0 ; i < n ; i++)
  {
    mbox_msg const *m = mbox_at(&s->box, genalloc_s(size_t, &idx)[i]) ;
    genalloc_s(uint32_t, &src)[i] = m->uid ;
    bytes += m->fsize ;
  }
  genalloc_setlen(uint32_t, &src, n) ;
  genalloc_setlen(uint32_t, &dst, n) ;
  if (!move)
  {
    int fits = imap_quota_fits(s, bytes, n) ;
    if (fits < 0)
    {
      imap_log_event(s, "imap_quota_fail", "error", strerror(errno)) ;
      ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot check the quota, try again") ;
      goto end ;
    }
    if (!fits) { ret = imap_tagged(s, tag, "NO [OVERQUOTA] Quota exceeded") ; goto end ; }
  }
  if (!mbox_copy(&s->box, genalloc_s(size_t, &idx), n, s->login->maildir, imap_sio.name.s, &uidvalidity, genalloc_s(uint32_t, &dst)))
  {
    int e = errno ;
    switch (e)
    {
      case ENOENT : ret = imap_tagged(s, tag, "NO [TRYCREATE] No such mailbox") ; break ;   /* or a message expunged meanwhile: the mailbox check comes first */
      case EINVAL : ret = imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ; break ;
      case ENOSPC : case EDQUOT : ret = imap_tagged(s, tag, "NO [OVERQUOTA] No space left") ; break ;
      case ETIMEDOUT : ret = imap_tagged(s, tag, "NO [INUSE] The mailbox is locked, try again") ; break ;
      default :
        imap_log_event(s, move ? "imap_move_fail" : "imap_copy_fail", "error", strerror(e)) ;
        ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Copy failed") ;
    }
    goto end ;
  }
  /* into Junk: learn as spam; out of Junk (not to Trash): as ham (docs/spam.md) */
  spamlearn_moved(&s->box, genalloc_s(size_t, &idx), n, s->login->maildir, imap_sio.name.s, s->login->user) ;
  sa->len = 0 ;
  if (!move)
  {
    maildirsize_append(imap_sio.rootfd, (int64_t)bytes, (int64_t)n) ;
    if (!stralloc_cats(sa, "OK ") || !cat_copyuid(sa, uidvalidity, genalloc_s(uint32_t, &src), genalloc_s(uint32_t, &dst), n)
     || !stralloc_cats(sa, " COPY completed") || !stralloc_0(sa)) { ret = imap_done(s, tag, "OK COPY completed") ; goto end ; }
    ret = imap_session_notify(s, uid) && imap_tagged(s, tag, sa->s) ;
    goto end ;
  }
  /* MOVE: the copies are safe on disk; now the originals go */
  if (!stralloc_cats(sa, "* OK ") || !cat_copyuid(sa, uidvalidity, genalloc_s(uint32_t, &src), genalloc_s(uint32_t, &dst), n)
   || !stralloc_cats(sa, " Moved\r\n")) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ; goto end ; }
  if (!imap_out(s, sa->s, sa->len)) { ret = 0 ; goto end ; }
  if (!mbox_expunge(&s->box, genalloc_s(uint32_t, &src), n, MBOX_EXPUNGE_FORCE, &ch))
  {
    int e = errno ;
    imap_log_event(s, "imap_move_fail", "error", strerror(e)) ;
    ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Messages copied but not removed from the source") ;
    goto end ;
  }
  if (!imap_report_changes(s, &ch)) { ret = 0 ; goto end ; }
  if (s->enabled & IMAP_ENABLED_QRESYNC)
  {
    /* as after EXPUNGE (RFC 7162 §3.2.10): the modseq the client is now at */
    sa->len = 0 ;
    if (stralloc_cats(sa, "OK [HIGHESTMODSEQ ") && imap_fmt_u64(sa, s->box.highestmodseq) && stralloc_cats(sa, "] MOVE completed") && stralloc_0(sa))
    {
      ret = imap_tagged(s, tag, sa->s) ;
      goto end ;
    }
  }
  ret = imap_tagged(s, tag, "OK MOVE completed") ;
 end:
  imap_seqset_free(&set) ;
  genalloc_free(size_t, &idx) ;
  genalloc_free(uint32_t, &src) ;
  genalloc_free(uint32_t, &dst) ;
  mbox_changes_free(&ch) ;
  return ret ;
}

int imap_cmd_copy (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  return copy_or_move(s, c, tag, uid, 0) ;
}

int imap_cmd_move (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  return copy_or_move(s, c, tag, uid, 1) ;
}

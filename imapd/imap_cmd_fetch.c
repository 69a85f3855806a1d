/* ISC license. */

#include <errno.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_session.h"
#include "imapd/imap_fetch-internal.h"

/* FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9; RFC 7162 §3.1.4
 * CHANGEDSINCE, §3.2.6 VANISHED).
 *
 * A message expunged by another session between the last sync and the
 * read (its file is gone: ENOENT) is left out of the answer, the others
 * are sent; FETCH by sequence number then ends "NO [EXPUNGEISSUED]"
 * (RFC 9051 §7.1, as Dovecot does) and the EXPUNGE itself comes with the
 * next command that may send it, while UID FETCH sends the EXPUNGE at
 * once and ends OK, as for any UID that does not exist (§6.4.9). */

#define KEEP_TEXT_MAX (4u << 20)   /* scratch message text kept between commands */

/* "* VANISHED (EARLIER) <uids>" for UID FETCH (CHANGEDSINCE m VANISHED):
 * the UIDs of set expunged after modseq m (RFC 7162 §3.2.6). */
static int send_vanished (imap_session *s, imap_seqset const *set, uint64_t since)
{
  genalloc gone = GENALLOC_ZERO ;   /* uint32_t */
  genalloc ranges = GENALLOC_ZERO ; /* imap_range */
  stralloc sa = STRALLOC_ZERO ;
  size_t n = mbox_count(&s->box) ;
  uint32_t maxuid = s->box.uidnext ? s->box.uidnext - 1 : 0 ;
  int r = 0 ;
  if (set->saved) { r = 1 ; goto end ; }   /* "$" names existing messages only */
  if (!imap_fetch_ranges(set, maxuid, 1, &ranges)) goto end ;
  if (!stralloc_cats(&sa, "VANISHED (EARLIER) ")) goto end ;
  {
    size_t base = sa.len ;
    imap_range const *rg = genalloc_s(imap_range, &ranges) ;
    size_t nr = genalloc_len(imap_range, &ranges) ;
    if (mbox_vanished_since(&s->box, since, &gone))
    {
      uint32_t const *u = genalloc_s(uint32_t, &gone) ;
      size_t nu = genalloc_len(uint32_t, &gone) ;
      genalloc keep = GENALLOC_ZERO ;
      for (size_t k = 0 ; k < nu ; k++)
      {
        int in = 0 ;
        for (size_t j = 0 ; j < nr && !in ; j++) in = u[k] >= rg[j].lo && u[k] <= rg[j].hi ;
        if (in && !genalloc_append(uint32_t, &keep, u + k)) { genalloc_free(uint32_t, &keep) ; goto end ; }
      }
      if (genalloc_len(uint32_t, &keep) && !imap_seqset_fmt(&sa, genalloc_s(uint32_t, &keep), genalloc_len(uint32_t, &keep)))
      {
        genalloc_free(uint32_t, &keep) ;
        goto end ;
      }
      genalloc_free(uint32_t, &keep) ;
    }
    else
    {
      /* the history does not reach back: every UID of the set below
       * UIDNEXT that is not here, written as gaps without listing them */
      char fmt[UINT32_FMT] ;
      for (size_t j = 0 ; j < nr ; j++)
      {
        uint64_t next = rg[j].lo ;
        size_t i = imap_fetch_uid_lower_bound(&s->box, rg[j].lo) ;
        for (;;)
        {
          uint64_t stop = i < n && mbox_at(&s->box, i)->uid <= rg[j].hi ? mbox_at(&s->box, i)->uid : (uint64_t)rg[j].hi + 1 ;
          if (stop > next)
          {
            if (sa.len > base && !stralloc_catb(&sa, ",", 1)) goto end ;
            if (!stralloc_catb(&sa, fmt, uint32_fmt(fmt, (uint32_t)next))) goto end ;
            if (stop - 1 > next && (!stralloc_catb(&sa, ":", 1) || !stralloc_catb(&sa, fmt, uint32_fmt(fmt, (uint32_t)(stop - 1))))) goto end ;
          }
          if (stop > rg[j].hi) break ;
          next = stop + 1 ;
          i++ ;
        }
      }
    }
    if (sa.len == base) { r = 1 ; goto end ; }
  }
  if (!stralloc_0(&sa)) goto end ;
  r = imap_untagged(s, sa.s) ? 1 : -1 ;
 end:
  genalloc_free(uint32_t, &gone) ;
  genalloc_free(imap_range, &ranges) ;
  stralloc_free(&sa) ;
  return r ;
}

int imap_cmd_fetch (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  imap_fetch f = IMAP_FETCH_ZERO ;
  genalloc idx = GENALLOC_ZERO ;   /* size_t */
  unsigned int nkw = 0 ;
  char const *const *kw ;
  int expunged = 0, seenfail = 0, unknowncte = 0, failed = 0 ;
  int ret = 1 ;

  if (s->state != IMAP_STATE_SELECTED) { ret = imap_tagged(s, tag, "BAD No mailbox selected") ; goto end ; }
  if (!imap_sp(c) || !imap_seqset_parse(c, &set) || !imap_sp(c) || !imap_fetch_parse(c, &f) || !imap_end(c))
  {
    ret = imap_cmd_bad(s, tag, c) ;
    goto end ;
  }
  if (f.vanished && (!uid || !(s->enabled & IMAP_ENABLED_QRESYNC) || !f.changedsince))
  {
    /* RFC 7162 §3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, once QRESYNC is enabled */
    ret = imap_tagged(s, tag, "BAD VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC") ;
    goto end ;
  }
  if (f.changedsince || (f.items & IMAP_FETCH_MODSEQ))
    if (!imap_cmd_condstore(s)) { ret = 0 ; goto end ; }
  if (!imap_fetch_resolve(&s->box, &set, uid, genalloc_s(uint32_t, &s->saved), genalloc_len(uint32_t, &s->saved), &idx))
  {
    ret = errno == EINVAL ? imap_tagged(s, tag, "BAD Message sequence number beyond the mailbox")
                          : imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
    goto end ;
  }
  if (f.vanished)
  {
    int r = send_vanished(s, &set, f.changedsince_value) ;
    if (r < 0) { ret = 0 ; goto end ; }
    if (!r) { ret = imap_tagged(s, tag, "NO [SERVERBUG] Cannot compute the expunged messages") ; goto end ; }
  }

  kw = imap_session_keywords(s, &nkw) ;
  for (size_t k = 0 ; k < genalloc_len(size_t, &idx) ; k++)
  {
    size_t i = genalloc_s(size_t, &idx)[k] ;
    mbox_msg const *m = mbox_at(&s->box, i) ;
    imap_fetch_ctx ctx =
    {
      .uid_command = uid,
      .force_flags = 0,
      .force_modseq = 0,
      .utf8 = !!(s->enabled & IMAP_ENABLED_UTF8),
      .keywords = kw,
      .nkeywords = nkw,
      .tzmin = s->tzmin
    } ;
    int condstore = !!(s->enabled & IMAP_ENABLED_CONDSTORE) ;
    if (f.changedsince && m->modseq <= f.changedsince_value) continue ;
    if (f.sets_seen && imap_cmd_writable(s) && !(m->flags & MBOX_SEEN))
    {
      uint64_t modseq ;
      if (mbox_store(&s->box, i, m->flags | MBOX_SEEN, m->keywords, &modseq)) ctx.force_flags = 1 ;
      else if (errno == ENOENT) { expunged = 1 ; continue ; }
      else seenfail = 1 ;
    }
    /* RFC 7162 §3.1.4 and §3.2: under CONDSTORE, MODSEQ comes with
     * CHANGEDSINCE, a MODSEQ item, and any flag change we report */
    ctx.force_modseq = condstore && (f.changedsince || ctx.force_flags) ;
    if (ctx.force_flags && condstore) ctx.uid_command = 1 ;
    imap_msg_set(&s->msg, &s->box, i, imap_cmd_recent(s, i)) ;
    s->out.len = 0 ;
    if (!imap_fetch_item_list(&s->out, &s->msg, &f, &ctx))
    {
      if (errno == ENOENT) { expunged = 1 ; continue ; }
      if (errno == EILSEQ) { unknowncte = 1 ; continue ; }
      failed = errno ;
      break ;
    }
    if (!imap_cmd_fetch_line(s, s->msg.seq, s->out.s, s->out.len)) { ret = 0 ; goto end ; }
  }
  if (s->msg.text.a > KEEP_TEXT_MAX) imap_msg_free(&s->msg) ;

  /* RFC 9051 §7.4.1: no EXPUNGE during FETCH by sequence number */
  /* a client resynchronising (CHANGEDSINCE) asks what changed, and a
   * message found expunged is to be reported now: a full sync, never
   * the fast one's "nothing yet" */
  if (!(f.changedsince || expunged ? imap_session_notify(s, uid) : imap_session_notify_fast(s, uid))) { ret = 0 ; goto end ; }
  if (failed == EFBIG) ret = imap_tagged(s, tag, "NO [LIMIT] Message too large to fetch") ;
  else if (failed == ENOMEM) ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
  else if (failed) ret = imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot read a message") ;
  else if (unknowncte) ret = imap_tagged(s, tag, "NO [UNKNOWN-CTE] Cannot decode a part's Content-Transfer-Encoding") ;
  /* UID FETCH ignores UIDs that are gone (RFC 9051 §6.4.9) and has just
   * told the client of the expunge; FETCH by number cannot, so says so. */
  else if (expunged && !uid) ret = imap_tagged(s, tag, "NO [EXPUNGEISSUED] Some of the requested messages no longer exist") ;
  else if (seenfail) ret = imap_tagged(s, tag, "NO [UNAVAILABLE] \\Seen could not be set on some messages") ;
  else ret = imap_tagged(s, tag, "OK Fetch completed") ;
 end:
  imap_seqset_free(&set) ;
  imap_fetch_free(&f) ;
  genalloc_free(size_t, &idx) ;
  return ret ;
}

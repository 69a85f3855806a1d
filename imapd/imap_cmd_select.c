/* ISC license. */

/* SELECT and EXAMINE (RFC 9051 §6.3.2-3), with the CONDSTORE and
 * QRESYNC parameters (RFC 7162 §3.1.8, §3.2.5).
 *
 * Whatever happens, the mailbox selected before is left first (a failed
 * SELECT leaves none selected, RFC 9051 §6.3.2), and the client is told
 * with "* OK [CLOSED]" (RFC 7162 §3.2.11, RFC 9051 §7.1) so that the
 * responses of the two mailboxes are not mixed up. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"

typedef struct qresync_s qresync ;
struct qresync_s
{
  int on ;
  uint32_t uidvalidity ;
  uint64_t modseq ;
  int known ;
  imap_seqset known_uids ;
} ;

/* "(CONDSTORE)" or "(QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)]))" */
static int parse_params (imap_session *s, imap_cursor *c, int *condstore, qresync *q)
{
  if (imap_peek(c) != ' ') return 1 ;
  if (!imap_sp(c) || !imap_lparen(c)) return 0 ;
  for (unsigned int n = 0 ; imap_peek(c) != ')' ; n++)
  {
    if (n && !imap_sp(c)) return 0 ;
    if (imap_try_word(c, "CONDSTORE")) { *condstore = 1 ; continue ; }
    if (!imap_try_word(c, "QRESYNC")) { if (!c->error) c->error = "Unknown SELECT parameter" ; return 0 ; }
    if (!(s->enabled & IMAP_ENABLED_QRESYNC)) { c->error = "QRESYNC must be enabled first" ; return 0 ; }
    if (!imap_sp(c) || !imap_lparen(c) || !imap_nz_number(c, &q->uidvalidity) || !imap_sp(c) || !imap_number64(c, &q->modseq)) return 0 ;
    if (!q->modseq) { c->error = "Invalid mod-sequence" ; return 0 ; }
    q->on = 1 ;
    if (imap_peek(c) == ' ')
    {
      if (!imap_sp(c)) return 0 ;
      if (imap_peek(c) != '(')
      {
        if (!imap_seqset_parse(c, &q->known_uids)) return 0 ;
        if (q->known_uids.saved) { c->error = "Invalid known-uids" ; return 0 ; }
        q->known = 1 ;
        if (imap_peek(c) == ' ' && !imap_sp(c)) return 0 ;
      }
      if (imap_peek(c) == '(')
      {
        /* seq-match-data: a hint to narrow VANISHED; the answer is right without it */
        imap_seqset seqs = IMAP_SEQSET_ZERO, uids = IMAP_SEQSET_ZERO ;
        int ok = imap_lparen(c) && imap_seqset_parse(c, &seqs) && imap_sp(c) && imap_seqset_parse(c, &uids) && imap_rparen(c) ;
        imap_seqset_free(&seqs) ;
        imap_seqset_free(&uids) ;
        if (!ok) return 0 ;
      }
    }
    if (!imap_rparen(c)) return 0 ;
  }
  return imap_rparen(c) ;
}

static int known_contains (qresync const *q, uint32_t uid)
{
  return !q->known || imap_seqset_contains(&q->known_uids, uid, 0xffffffffu) ;
}

/* RFC 7162 §3.2.5.1: the UIDs expunged since the client's modseq, within
 * its known-uids. When the history does not go back that far, every
 * UID of the known set (or below UIDNEXT) that is not present now. */
static int cmp_range (void const *a, void const *b)
{
  imap_range const *x = a, *y = b ;
  return x->lo < y->lo ? -1 : x->lo > y->lo ;
}

/* The gaps between present UIDs within [lo, hi], as ranges: as many as
 * there are messages, never one entry per missing UID. */
static int add_gaps (mbox const *b, uint32_t lo, uint32_t hi, genalloc *out)
{
  size_t n = mbox_count(b), i = 0 ;
  uint64_t next = lo ;
  while (i < n && mbox_at(b, i)->uid < lo) i++ ;
  for (; i < n && mbox_at(b, i)->uid <= hi ; i++)
  {
    uint32_t u = mbox_at(b, i)->uid ;
    if (u > next)
    {
      imap_range r = { .lo = (uint32_t)next, .hi = u - 1 } ;
      if (!genalloc_append(imap_range, out, &r)) return 0 ;
    }
    next = (uint64_t)u + 1 ;
  }
  if (next <= hi)
  {
    imap_range r = { .lo = (uint32_t)next, .hi = hi } ;
    if (!genalloc_append(imap_range, out, &r)) return 0 ;
  }
  return 1 ;
}

/* RFC 7162 §3.2.5.1: the UIDs expunged since the client's modseq, within
 * its known-uids. When the history does not go back that far, every
 * UID of the known set (or below UIDNEXT) that is not present now. */
static int vanished (imap_session *s, qresync const *q, stralloc *sa)
{
  genalloc v = GENALLOC_ZERO ;     /* uint32_t */
  genalloc out = GENALLOC_ZERO ;   /* imap_range */
  int r = 0 ;
  mbox *b = &s->box ;
  if (mbox_vanished_since(b, q->modseq, &v))
  {
    uint32_t const *u = genalloc_s(uint32_t, &v) ;
    for (size_t i = 0 ; i < genalloc_len(uint32_t, &v) ; i++)
    {
      imap_range one = { .lo = u[i], .hi = u[i] } ;
      if (known_contains(q, u[i]) && !genalloc_append(imap_range, &out, &one)) goto end ;
    }
  }
  else
  {
    uint32_t top = b->uidnext ? b->uidnext - 1 : 0 ;
    imap_range whole = { .lo = 1, .hi = top } ;
    imap_range const *rg = q->known ? genalloc_s(imap_range, &q->known_uids.ranges) : &whole ;
    size_t nr = q->known ? genalloc_len(imap_range, &q->known_uids.ranges) : 1 ;
    for (size_t k = 0 ; k < nr ; k++)
    {
      uint32_t lo = rg[k].lo ? rg[k].lo : top, hi = rg[k].hi ? rg[k].hi : top ;
      if (lo > hi) { uint32_t t = lo ; lo = hi ; hi = t ; }
      if (hi > top) hi = top ;
      if (!lo) lo = 1 ;
      if (lo <= hi && !add_gaps(b, lo, hi, &out)) goto end ;
    }
  }
  {
    /* known ranges may overlap: sort, merge, write */
    imap_range *a = genalloc_s(imap_range, &out) ;
    size_t m = genalloc_len(imap_range, &out), w = 0 ;
    if (m > 1) qsort(a, m, sizeof(imap_range), &cmp_range) ;
    for (size_t x = 0 ; x < m ; x++)
    {
      if (w && (uint64_t)a[x].lo <= (uint64_t)a[w-1].hi + 1) { if (a[x].hi > a[w-1].hi) a[w-1].hi = a[x].hi ; }
      else a[w++] = a[x] ;
    }
    if (w)
    {
      if (!stralloc_cats(sa, "* VANISHED (EARLIER) ")) goto end ;
      for (size_t x = 0 ; x < w ; x++)
      {
        if ((x && !stralloc_catb(sa, ",", 1)) || !imap_fmt_u64(sa, a[x].lo)) goto end ;
        if (a[x].hi > a[x].lo && (!stralloc_catb(sa, ":", 1) || !imap_fmt_u64(sa, a[x].hi))) goto end ;
      }
      if (!stralloc_cats(sa, "\r\n")) goto end ;
    }
  }
  r = 1 ;
 end:
  genalloc_free(uint32_t, &v) ;
  genalloc_free(imap_range, &out) ;
  return r ;
}

static int do_select (imap_session *s, imap_cursor *c, char const *tag, int readonly)
{
  stralloc *sa = &s->out ;
  int condstore = 0 ;
  qresync q = { .on = 0, .known = 0, .known_uids = IMAP_SEQSET_ZERO } ;
  int ret ;
  int was = s->state == IMAP_STATE_SELECTED ;
  sa->len = 0 ;
  if (!imap_sp(c) || !imap_mailbox(c, sa) || !parse_params(s, c, &condstore, &q) || !imap_end(c))
  {
    ret = imap_bad(s, tag, c) ;
    goto end ;
  }
  if (was)
  {
    imap_deselect(s) ;
    if (!imap_untagged(s, "OK [CLOSED] Previous mailbox closed")) { ret = 0 ; goto end ; }
  }
  if (!imap_name_in(s, sa->s, &imap_sio.name))
  {
    ret = imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name") ;
    goto end ;
  }
  if (!mbox_open(&s->box, s->login->maildir, imap_sio.name.s, readonly ? MBOX_OPEN_READONLY : 0))
  {
    int e = errno ;
    mbox zero = MBOX_ZERO ;
    mbox_close(&s->box) ;
    s->box = zero ;
    ret = e == ENOENT ? imap_tagged(s, tag, "NO [NONEXISTENT] No such mailbox")
        : e == ETIMEDOUT ? imap_tagged(s, tag, "NO [INUSE] The mailbox is locked, try again")
        : e == EINVAL || e == ENAMETOOLONG ? imap_tagged(s, tag, "NO [CANNOT] Invalid mailbox name")
        : imap_tagged(s, tag, "NO [UNAVAILABLE] Cannot open the mailbox") ;
    if (e != ENOENT && e != EINVAL && e != ENAMETOOLONG) imap_log_event(s, "imap_open_fail", "error", strerror(e)) ;
    goto end ;
  }
  s->state = IMAP_STATE_SELECTED ;
  s->readonly = readonly || s->box.readonly ;
  s->saved.len = 0 ;
  if (condstore || q.on) s->enabled |= IMAP_ENABLED_CONDSTORE ;
  imap_sio_watch_box(s->login->maildir, imap_sio.name.s) ;
  imap_sio.dirty = 0 ;
  imap_session_synced() ;

  {
    mbox *b = &s->box ;
    size_t n = mbox_count(b) ;
    sa->len = 0 ;
    if (!stralloc_cats(sa, "* FLAGS ") || !imap_fmt_boxflags(s, sa, 0) || !stralloc_cats(sa, "\r\n")
     || !stralloc_cats(sa, "* OK [PERMANENTFLAGS ") || !imap_fmt_boxflags(s, sa, 1) || !stralloc_cats(sa, "] Flags permitted\r\n")
     || !stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, n) || !stralloc_cats(sa, " EXISTS\r\n")) goto nomem ;
    if (!imap_sess_rev2(s))
    {
      size_t recent = 0, unseen = 0 ;
      for (size_t i = 0 ; i < n ; i++)
      {
        recent += mbox_at(b, i)->recent ;
        if (!unseen && !(mbox_at(b, i)->flags & MBOX_SEEN)) unseen = i + 1 ;
      }
      if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, recent) || !stralloc_cats(sa, " RECENT\r\n")) goto nomem ;
      if (unseen && (!stralloc_cats(sa, "* OK [UNSEEN ") || !imap_fmt_u64(sa, unseen) || !stralloc_cats(sa, "] First unseen\r\n"))) goto nomem ;
    }
    if (!stralloc_cats(sa, "* OK [UIDVALIDITY ") || !imap_fmt_u64(sa, b->uidvalidity) || !stralloc_cats(sa, "] UIDs valid\r\n")
     || !stralloc_cats(sa, "* OK [UIDNEXT ") || !imap_fmt_u64(sa, b->uidnext) || !stralloc_cats(sa, "] Predicted next UID\r\n")
     || !stralloc_cats(sa, "* OK [HIGHESTMODSEQ ") || !imap_fmt_u64(sa, b->highestmodseq ? b->highestmodseq : 1) || !stralloc_cats(sa, "] Highest\r\n")) goto nomem ;
    if (imap_sess_rev2(s))
    {
      /* RFC 9051 §6.3.2: the mailbox's LIST response, with its name as the client knows it */
      if (!stralloc_cats(sa, "* LIST () \".\" ") || !imap_name_out(s, imap_sio.name.s, sa) || !stralloc_cats(sa, "\r\n")) goto nomem ;
    }
    if (q.on && q.uidvalidity == b->uidvalidity)
    {
      if (!vanished(s, &q, sa)) goto nomem ;
      for (size_t i = 0 ; i < n ; i++)
      {
        mbox_msg const *m = mbox_at(b, i) ;
        if (m->modseq <= q.modseq || !known_contains(&q, m->uid)) continue ;
        if (!stralloc_cats(sa, "* ") || !imap_fmt_u64(sa, i + 1) || !stralloc_cats(sa, " FETCH (UID ") || !imap_fmt_u64(sa, m->uid)
         || !stralloc_cats(sa, " FLAGS ") || !imap_fmt_msgflags(s, sa, i)
         || !stralloc_cats(sa, " MODSEQ (") || !imap_fmt_u64(sa, m->modseq) || !stralloc_cats(sa, "))\r\n")) goto nomem ;
        if (sa->len >= IMAP_SIO_OUT_HIGH)
        {
          if (!imap_out(s, sa->s, sa->len)) { ret = 0 ; goto end ; }
          sa->len = 0 ;
        }
      }
    }
    if (!imap_out(s, sa->s, sa->len)) { ret = 0 ; goto end ; }
  }
  imap_log_event(s, readonly ? "imap_examine" : "imap_select", "mailbox", imap_sio.name.s) ;
  ret = imap_tagged(s, tag, s->readonly ? "OK [READ-ONLY] EXAMINE completed" : "OK [READ-WRITE] SELECT completed") ;
  goto end ;
 nomem:
  imap_deselect(s) ;
  ret = imap_tagged(s, tag, "NO [SERVERBUG] Out of memory") ;
 end:
  imap_seqset_free(&q.known_uids) ;
  return ret ;
}

int imap_cmd_select (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  return do_select(s, c, tag, 0) ;
}

int imap_cmd_examine (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  (void)uid ;
  return do_select(s, c, tag, 1) ;
}

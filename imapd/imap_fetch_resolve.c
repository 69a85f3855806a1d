/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_fetch-internal.h"

/* Sequence sets come from the client: thousands of overlapping ranges
 * must not cost ranges x messages. The ranges are resolved, sorted and
 * merged first, then each merged range is walked once. */

static int range_cmp (void const *a, void const *b)
{
  imap_range const *x = a ;
  imap_range const *y = b ;
  return x->lo < y->lo ? -1 : x->lo > y->lo ;
}

/* first index whose UID is >= uid */
static size_t uid_lower_bound (mbox *box, uint32_t uid)
{
  size_t lo = 0, hi = mbox_count(box) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (mbox_at(box, mid)->uid < uid) lo = mid + 1 ; else hi = mid ;
  }
  return lo ;
}

static int push (genalloc *idx, size_t i)
{
  return genalloc_append(size_t, idx, &i) ;
}

int imap_fetch_ranges (imap_seqset const *set, uint32_t max, int byuid, genalloc *out)
{
  size_t nr = genalloc_len(imap_range, &set->ranges) ;
  imap_range const *src = genalloc_s(imap_range, &set->ranges) ;
  imap_range *r ;
  size_t m = 0 ;
  genalloc_setlen(imap_range, out, 0) ;
  if (!genalloc_ready(imap_range, out, nr)) return 0 ;
  r = genalloc_s(imap_range, out) ;
  for (size_t k = 0 ; k < nr ; k++)
  {
    uint32_t lo = src[k].lo ? src[k].lo : max ;
    uint32_t hi = src[k].hi ? src[k].hi : max ;
    if (lo > hi) { uint32_t t = lo ; lo = hi ; hi = t ; }
    if (!byuid && (hi > max || !lo))
    {
      /* RFC 9051 §9 seq-number: a number beyond the mailbox (or '*'
       * in an empty one) is answered BAD */
      errno = EINVAL ;
      return 0 ;
    }
    if (!hi) continue ;   /* UID '*' in an empty mailbox: nothing */
    r[m].lo = lo ; r[m].hi = hi ; m++ ;
  }
  qsort(r, m, sizeof(imap_range), &range_cmp) ;
  {
    size_t w = 0 ;
    for (size_t k = 0 ; k < m ; k++)
    {
      if (w && (uint64_t)r[k].lo <= (uint64_t)r[w-1].hi + 1) { if (r[k].hi > r[w-1].hi) r[w-1].hi = r[k].hi ; }
      else r[w++] = r[k] ;
    }
    m = w ;
  }
  genalloc_setlen(imap_range, out, m) ;
  return 1 ;
}

int imap_fetch_resolve (mbox *box, imap_seqset const *set, int byuid, uint32_t const *saved, size_t nsaved, genalloc *idx)
{
  size_t n = mbox_count(box) ;
  genalloc_setlen(size_t, idx, 0) ;
  if (set->saved)
  {
    /* RFC 5182 §2.1: "$" names the saved messages by UID, whatever the command */
    for (size_t k = 0 ; k < nsaved ; k++)
    {
      size_t i = uid_lower_bound(box, saved[k]) ;
      if (i < n && mbox_at(box, i)->uid == saved[k] && (!genalloc_len(size_t, idx) || genalloc_s(size_t, idx)[genalloc_len(size_t, idx) - 1] < i))
        if (!push(idx, i)) return 0 ;
    }
    return 1 ;
  }
  {
    genalloc ranges = GENALLOC_ZERO ;
    uint32_t max = byuid ? (n ? mbox_at(box, n - 1)->uid : 0) : (uint32_t)n ;
    imap_range const *r ;
    size_t m ;
    if (!imap_fetch_ranges(set, max, byuid, &ranges)) { genalloc_free(imap_range, &ranges) ; return 0 ; }
    r = genalloc_s(imap_range, &ranges) ;
    m = genalloc_len(imap_range, &ranges) ;
    for (size_t k = 0 ; k < m ; k++)
    {
      if (byuid)
      {
        for (size_t i = uid_lower_bound(box, r[k].lo) ; i < n && mbox_at(box, i)->uid <= r[k].hi ; i++)
          if (!push(idx, i)) goto nomem ;
      }
      else
      {
        for (size_t i = r[k].lo - 1 ; i < r[k].hi ; i++)
          if (!push(idx, i)) goto nomem ;
      }
    }
    genalloc_free(imap_range, &ranges) ;
    return 1 ;
   nomem:
    genalloc_free(imap_range, &ranges) ;
    return 0 ;
  }
}

size_t imap_fetch_uid_lower_bound (mbox *box, uint32_t uid)
{
  return uid_lower_bound(box, uid) ;
}

/* ISC license. */

/* Sequence sets to message indexes, range by range (a set like
 * 1:4294967295 must not cost a walk over every number): sequence
 * numbers are indexes plus one; UIDs are found by binary search, the
 * messages being in UID order. '*' is the largest number in use, and
 * "n:*" with n above it still names it (RFC 9051 §9, seq-range). */

#include <errno.h>
#include <stdlib.h>
#include <skalibs/genalloc.h>
#include "imapd/imap_session-internal.h"

static size_t uid_lower_bound (mbox const *b, uint32_t uid)
{
  size_t lo = 0, hi = mbox_count(b) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (mbox_at(b, mid)->uid < uid) lo = mid + 1 ; else hi = mid ;
  }
  return lo ;
}

static int cmp_size (void const *a, void const *b)
{
  size_t x = *(size_t const *)a, y = *(size_t const *)b ;
  return x < y ? -1 : x > y ;
}

static int add_uid_range (mbox const *b, uint32_t lo, uint32_t hi, genalloc *idx)
{
  size_t n = mbox_count(b) ;
  for (size_t i = uid_lower_bound(b, lo) ; i < n && mbox_at(b, i)->uid <= hi ; i++)
    if (!genalloc_append(size_t, idx, &i)) return 0 ;
  return 1 ;
}

int imap_resolve_set (imap_session const *s, imap_seqset const *set, int uid, genalloc *idx)
{
  mbox const *b = &s->box ;
  size_t n = mbox_count(b) ;
  size_t start = genalloc_len(size_t, idx) ;
  if (set->saved)
  {
    /* "$" holds UIDs whatever the command (RFC 5182 §2.1) */
    uint32_t const *u = genalloc_s(uint32_t, &s->saved) ;
    size_t nu = genalloc_len(uint32_t, &s->saved) ;
    for (size_t k = 0 ; k < nu ; k++)
      if (!add_uid_range(b, u[k], u[k], idx)) return 0 ;
  }
  else
  {
    imap_range const *r = genalloc_s(imap_range, &set->ranges) ;
    size_t nr = genalloc_len(imap_range, &set->ranges) ;
    uint32_t max = uid ? (n ? mbox_at(b, n-1)->uid : 0) : (uint32_t)n ;
    for (size_t k = 0 ; k < nr ; k++)
    {
      uint32_t lo = r[k].lo ? r[k].lo : max, hi = r[k].hi ? r[k].hi : max ;
      if (lo > hi) { uint32_t t = lo ; lo = hi ; hi = t ; }
      if (!uid)
      {
        if (!lo || hi > n) { idx->len = start * sizeof(size_t) ; errno = ERANGE ; return 0 ; }
        for (uint32_t q = lo ; q <= hi ; q++)
        {
          size_t i = q - 1 ;
          if (!genalloc_append(size_t, idx, &i)) return 0 ;
        }
      }
      else if (hi && !add_uid_range(b, lo, hi, idx)) return 0 ;
    }
  }
  if (genalloc_len(size_t, idx) > start + 1)
  {
    size_t *a = genalloc_s(size_t, idx) + start ;
    size_t m = genalloc_len(size_t, idx) - start, w = 0 ;
    qsort(a, m, sizeof(size_t), &cmp_size) ;
    for (size_t i = 0 ; i < m ; i++) if (!w || a[i] != a[w-1]) a[w++] = a[i] ;
    genalloc_setlen(size_t, idx, start + w) ;
  }
  return 1 ;
}

/* ISC license. */

#include <skalibs/uint32.h>
#include <skalibs/uint64.h>

#include "common/bayes.h"

/* The remembered messages: after the records, nseen entries of 12
 * bytes, sorted by fingerprint: the fingerprint (8), then the day it
 * was learned (bits 0-30) and whether as spam (bit 31). */

uint64_t bayes_fingerprint (bayes_tokens const *t)
{
  uint64_t const *h = genalloc_s(uint64_t, &t->hashes) ;
  size_t n = genalloc_len(uint64_t, &t->hashes) ;
  uint64_t fp = 0xcbf29ce484222325ULL ;
  for (size_t i = 0 ; i < n ; i++)
    for (unsigned int b = 0 ; b < 8 ; b++)
    {
      fp ^= (h[i] >> (8 * b)) & 0xff ;
      fp *= 0x100000001b3ULL ;
    }
  return fp ;
}

int bayes_seen_find (bayes_db const *db, uint64_t fp, int *is_spam, size_t *index)
{
  char const *base = db->map ? db->map + BAYES_HEADER_SIZE + (size_t)db->ntokens * BAYES_RECORD_SIZE : 0 ;
  size_t lo = 0, hi = db->nseen ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    uint64_t f ;
    uint64_unpack(base + mid * BAYES_SEEN_SIZE, &f) ;
    if (f == fp)
    {
      uint32_t w ;
      uint32_unpack(base + mid * BAYES_SEEN_SIZE + 8, &w) ;
      *is_spam = !!(w & 0x80000000u) ;
      *index = mid ;
      return 1 ;
    }
    if (f < fp) lo = mid + 1 ; else hi = mid ;
  }
  *index = lo ;   /* where it would go */
  return 0 ;
}

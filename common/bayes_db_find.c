/* ISC license. */

#include <skalibs/uint64.h>

#include "common/bayes.h"

/* Binary search over the mapped records. A file whose records are not
 * sorted (damaged, or forged by someone who could write it) gives wrong
 * counts, never an out-of-bounds read: the indices stay in [0, n). */

int bayes_db_find (bayes_db const *db, uint64_t hash, uint32_t *spam, uint32_t *ham)
{
  size_t lo = 0, hi = db->ntokens ;
  char const *base = db->map + BAYES_HEADER_SIZE ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    uint64_t h ;
    uint64_unpack(base + mid * BAYES_RECORD_SIZE, &h) ;
    if (h == hash)
    {
      bayes_record r ;
      bayes_record_unpack(base + mid * BAYES_RECORD_SIZE, &r) ;
      *spam = r.spam ;
      *ham = r.ham ;
      return 1 ;
    }
    if (h < hash) lo = mid + 1 ; else hi = mid ;
  }
  *spam = *ham = 0 ;
  return 0 ;
}

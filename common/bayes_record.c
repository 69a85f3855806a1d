/* ISC license. */

#include <skalibs/uint32.h>
#include <skalibs/uint64.h>

#include "common/bayes.h"

/* A record: hash (8 bytes), spam count, ham count, day (4 bytes each),
 * little-endian (docs/spam.md, "Database format"). */

void bayes_record_unpack (char const *s, bayes_record *r)
{
  uint64_unpack(s, &r->hash) ;
  uint32_unpack(s + 8, &r->spam) ;
  uint32_unpack(s + 12, &r->ham) ;
  uint32_unpack(s + 16, &r->day) ;
}

void bayes_record_pack (char *s, bayes_record const *r)
{
  uint64_pack(s, r->hash) ;
  uint32_pack(s + 8, r->spam) ;
  uint32_pack(s + 12, r->ham) ;
  uint32_pack(s + 16, r->day) ;
}

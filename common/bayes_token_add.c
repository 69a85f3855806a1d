/* ISC license. */

#include <skalibs/genalloc.h>

#include "common/bayes.h"

int bayes_token_add (bayes_tokens *t, char const *prefix, char const *word, size_t len)
{
  uint64_t h ;
  if (genalloc_len(uint64_t, &t->hashes) >= BAYES_RAW_MAX) return 1 ;   /* enough evidence: the rest is ignored */
  h = bayes_hash(prefix, word, len) ;
  return genalloc_append(uint64_t, &t->hashes, &h) ;
}

/* ISC license. */

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/bayes.h"

void bayes_tokens_free (bayes_tokens *t)
{
  genalloc_free(uint64_t, &t->hashes) ;
  stralloc_free(&t->domains) ;
  stralloc_free(&t->scratch) ;
  t->ndomains = 0 ;
}

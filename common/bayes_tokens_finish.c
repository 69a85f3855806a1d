/* ISC license. */

#include <stdlib.h>

#include <skalibs/genalloc.h>

#include "common/bayes.h"

static int cmp (void const *a, void const *b)
{
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b ;
  return x < y ? -1 : x > y ;
}

/* Sorted by hash, each once: a message saying "free" ten times learns
 * "free" once (SpamBayes counts presence, not frequency). Over
 * BAYES_TOKENS_MAX distinct tokens, the ones with the smallest hashes
 * stay: a sample that does not depend on the order of the text. */
void bayes_tokens_finish (bayes_tokens *t)
{
  uint64_t *h = genalloc_s(uint64_t, &t->hashes) ;
  size_t n = genalloc_len(uint64_t, &t->hashes), w = 0 ;
  if (!n) return ;
  qsort(h, n, sizeof(uint64_t), &cmp) ;
  for (size_t i = 0 ; i < n && w < BAYES_TOKENS_MAX ; i++)
    if (!w || h[w - 1] != h[i]) h[w++] = h[i] ;
  genalloc_setlen(uint64_t, &t->hashes, w) ;
}

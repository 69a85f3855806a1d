/* ISC license. */

#include <stdlib.h>

#include <skalibs/genalloc.h>

#include "common/bayes.h"

/* Robinson's method (facts from his 2003 paper and the SpamBayes
 * documentation): each token's spamminess is
 *   p(w) = (spam(w)/nspam) / (spam(w)/nspam + ham(w)/nham)
 * pulled towards x = 0.5 by the evidence it has, with strength s:
 *   f(w) = (s x + n p(w)) / (s + n),  n = spam(w) + ham(w)
 * (s = 0.45, SpamBayes' default). Tokens with |f - 0.5| < 0.1 are no
 * clue; of the others, the BAYES_CLUES_MAX farthest from 0.5 are
 * combined with Fisher's method, once for spam and once for ham, so a
 * message full of both kinds of clue comes out near 0.5 ("unsure")
 * instead of being pushed to an extreme. */

#define STRENGTH 0.45
#define MIN_DEV 0.1

typedef struct clue_s clue ;
struct clue_s
{
  double f ;
  double dev ;
} ;

static int by_dev (void const *a, void const *b)
{
  double x = ((clue const *)a)->dev, y = ((clue const *)b)->dev ;
  return x > y ? -1 : x < y ;
}

void bayes_classify (bayes_db const *db, bayes_tokens const *t, bayes_result *res)
{
  clue clues[BAYES_TOKENS_MAX] ;
  uint64_t const *h = genalloc_s(uint64_t, &t->hashes) ;
  size_t nt = genalloc_len(uint64_t, &t->hashes) ;
  unsigned int n = 0 ;
  double sumlnf = 0, sumln1f = 0, hp, sp ;
  res->prob = 0.5 ;
  res->clues = 0 ;
  if (!db->nspam || !db->nham) return ;
  if (nt > BAYES_TOKENS_MAX) nt = BAYES_TOKENS_MAX ;
  for (size_t i = 0 ; i < nt ; i++)
  {
    uint32_t s, hm ;
    double sr, hr, p, f, cnt, dev ;
    if (!bayes_db_find(db, h[i], &s, &hm)) continue ;
    sr = (double)s / db->nspam ;
    hr = (double)hm / db->nham ;
    if (sr + hr <= 0) continue ;
    p = sr / (sr + hr) ;
    cnt = (double)s + hm ;
    f = (STRENGTH * 0.5 + cnt * p) / (STRENGTH + cnt) ;
    dev = f > 0.5 ? f - 0.5 : 0.5 - f ;
    if (dev < MIN_DEV) continue ;
    clues[n].f = f ;
    clues[n].dev = dev ;
    n++ ;
  }
  if (!n) return ;
  qsort(clues, n, sizeof(clue), &by_dev) ;
  if (n > BAYES_CLUES_MAX) n = BAYES_CLUES_MAX ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    sumlnf += bayes_ln(clues[i].f) ;
    sumln1f += bayes_ln(1 - clues[i].f) ;
  }
  hp = bayes_chi2q(-2 * sumlnf, 2 * n) ;    /* small when the clues are hammy */
  sp = bayes_chi2q(-2 * sumln1f, 2 * n) ;   /* small when they are spammy */
  res->prob = (1 + hp - sp) / 2 ;
  if (res->prob < 0) res->prob = 0 ;
  if (res->prob > 1) res->prob = 1 ;
  res->clues = n ;
}

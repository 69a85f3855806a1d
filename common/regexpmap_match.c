/* ISC license. */

#include <errno.h>
#include <string.h>
#include <regex.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/regexpmap.h"

/* The first matching rule wins (regexp_table(5)). The key is copied to
 * be NUL-terminated; keys are addresses, bounded by the caller. */

static int substitute (char const *key, regmatch_t const *pm, size_t nsub, char const *res, stralloc *out)
{
  size_t start = out->len ;
  for (size_t i = 0 ; res[i] ; i++)
  {
    unsigned int n ;
    if (res[i] != '$')
    {
      if (!stralloc_catb(out, res + i, 1)) return 0 ;
      continue ;
    }
    i++ ;  /* the parser checked the forms: $$, $n, ${n}, $(n) */
    if (res[i] == '$')
    {
      if (!stralloc_catb(out, "$", 1)) return 0 ;
      continue ;
    }
    if (res[i] == '{' || res[i] == '(') { n = res[i+1] - '0' ; i += 2 ; }
    else n = res[i] - '0' ;
    if (n <= nsub && pm[n].rm_so >= 0)
      if (!stralloc_catb(out, key + pm[n].rm_so, pm[n].rm_eo - pm[n].rm_so)) return 0 ;
    if (out->len - start > REGEXPMAP_RESULT_MAX) return (errno = E2BIG, 0) ;
  }
  if (out->len - start > REGEXPMAP_RESULT_MAX) return (errno = E2BIG, 0) ;
  return stralloc_0(out) ;
}

int regexpmap_match (regexpmap *m, char const *key, size_t keylen, stralloc *out)
{
  stralloc k = STRALLOC_ZERO ;
  regmatch_t pm[10] ;
  size_t n ;
  int r = 0 ;
  if (!regexpmap_refresh(m)) return -1 ;
  n = genalloc_len(regexprule, &m->rules) ;
  if (!n) return 0 ;
  if (memchr(key, 0, keylen)) return 0 ;
  if (!stralloc_catb(&k, key, keylen) || !stralloc_0(&k)) return -1 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    regexprule const *rule = genalloc_s(regexprule, &m->rules) + i ;
    int e = regexec(&rule->re, k.s, 10, pm, 0) ;
    if (e && e != REG_NOMATCH) { errno = ENOMEM ; r = -1 ; break ; }
    if ((!e) == rule->negate) continue ;
    size_t origlen = out->len ;
    if (!substitute(k.s, pm, rule->negate ? 0 : rule->re.re_nsub, m->storage.s + rule->result, out))
    {
      out->len = origlen ;
      r = -1 ;
      break ;
    }
    r = 1 ;
    break ;
  }
  {
    int e = errno ;
    stralloc_free(&k) ;
    errno = e ;
  }
  return r ;
}

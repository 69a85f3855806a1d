/* ISC license. */

/* The list's algorithm (publicsuffix.org/list, "Algorithm") and
 * RFC 7489 §3.2: the Organizational Domain is the public suffix and one
 * more label; a name that is itself a public suffix has none. */

#include <stdlib.h>
#include <string.h>

#include "common/psl.h"
#include "common/psl-internal.h"

static int cmpkey (void const *key, void const *elt)
{
  return strcmp((char const *)key, psl_the_list.pool + *(size_t const *)elt) ;
}

int psl_has (char const *s, size_t len)
{
  char key[PSL_NAME_MAX + 4] ;
  if (len >= sizeof(key)) return 0 ;
  memcpy(key, s, len) ;
  key[len] = 0 ;
  return !!bsearch(key, psl_the_list.rule, psl_the_list.n, sizeof(size_t), &cmpkey) ;
}

int psl_suffix_labels (char const *name)
{
  size_t len = strlen(name), nlabels = 1 ;
  size_t start[PSL_NAME_MAX / 2 + 2] ;
  int best = 1 ;
  if (!psl_load()) return -1 ;
  start[0] = 0 ;
  for (size_t i = 0 ; i < len ; i++) if (name[i] == '.') start[nlabels++] = i + 1 ;
  /* k labels from the right: the suffix name + start[nlabels - k] */
  for (size_t k = nlabels ; k >= 1 ; k--)
  {
    char buf[PSL_NAME_MAX + 4] ;
    char const *suf = name + start[nlabels - k] ;
    size_t sl = len - start[nlabels - k] ;
    buf[0] = '!' ;
    memcpy(buf + 1, suf, sl) ;
    if (psl_has(buf, sl + 1)) return (int)k - 1 ;   /* an exception: one label less */
  }
  for (size_t k = nlabels ; k >= 1 ; k--)
  {
    char const *suf = name + start[nlabels - k] ;
    size_t sl = len - start[nlabels - k] ;
    if (psl_has(suf, sl)) { best = (int)k ; break ; }
    if (k >= 2)
    {
      /* "*.parent" matches any one label before parent */
      char buf[PSL_NAME_MAX + 4] ;
      char const *parent = name + start[nlabels - k + 1] ;
      size_t pl = len - start[nlabels - k + 1] ;
      buf[0] = '*' ; buf[1] = '.' ;
      memcpy(buf + 2, parent, pl) ;
      if (psl_has(buf, pl + 2)) { best = (int)k ; break ; }
    }
  }
  return best ;
}

int psl_org_domain (char const *domain, char *out)
{
  char name[PSL_NAME_MAX + 1] ;
  size_t len, nlabels = 1, i ;
  int k ;
  if (!psl_normalize(domain, name)) return 0 ;
  k = psl_suffix_labels(name) ;
  if (k < 0) return -1 ;
  len = strlen(name) ;
  for (i = 0 ; i < len ; i++) if (name[i] == '.') nlabels++ ;
  if (nlabels <= (size_t)k) return 0 ;
  /* keep the last k + 1 labels */
  i = len ;
  for (int seen = 0 ; i > 0 ; i--)
    if (name[i-1] == '.' && ++seen == k + 1) break ;
  memcpy(out, name + i, len - i + 1) ;
  return 1 ;
}

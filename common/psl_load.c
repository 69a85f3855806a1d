/* ISC license. */

/* Reading the list: one rule per line, the first white-space-delimited
 * word; "//" starts a comment line (the list's format, "Format" on
 * https://publicsuffix.org/list/). Read once and kept for the
 * process's life: a filter or a mailctl run is short. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <skalibs/djbunix.h>

#include "common/psl.h"
#include "common/psl-internal.h"

psl_list psl_the_list = { .loaded = 0, .pool = 0, .poollen = 0, .rule = 0, .n = 0 } ;

static int cmp (void const *a, void const *b)
{
  return strcmp(psl_the_list.pool + *(size_t const *)a, psl_the_list.pool + *(size_t const *)b) ;
}

static void drop (void)
{
  free(psl_the_list.pool) ;
  free(psl_the_list.rule) ;
  psl_the_list.pool = 0 ;
  psl_the_list.rule = 0 ;
  psl_the_list.n = psl_the_list.poollen = 0 ;
  psl_the_list.loaded = 0 ;
}

int psl_load_text (char const *s, size_t len)
{
  size_t lines = 1, w = 0, n = 0 ;
  char *pool ;
  size_t *rule ;
  drop() ;
  if (len > PSL_FILE_MAX) return (errno = EFBIG, 0) ;
  for (size_t i = 0 ; i < len ; i++) if (s[i] == '\n') lines++ ;
  if (lines > PSL_RULES_MAX * 8) return (errno = E2BIG, 0) ;
  /* a rule's A-label form adds at most "xn--" to each label of two or
   * more bytes: three times the text is room enough */
  pool = malloc(3 * len + lines * 8 + 16) ;
  rule = malloc((lines < PSL_RULES_MAX ? lines : PSL_RULES_MAX) * sizeof(size_t) + 1) ;
  if (!pool || !rule) { free(pool) ; free(rule) ; return (errno = ENOMEM, 0) ; }
  for (size_t i = 0 ; i < len ; )
  {
    size_t e = i, k ;
    char word[PSL_NAME_MAX + 8] ;
    while (e < len && s[e] != '\n') e++ ;
    k = i ;
    while (k < e && s[k] != ' ' && s[k] != '\t' && s[k] != '\r') k++ ;
    if (k > i && !(k - i >= 2 && s[i] == '/' && s[i+1] == '/') && k - i < sizeof(word))
    {
      size_t pre = 0 ;
      char norm[PSL_NAME_MAX + 1] ;
      memcpy(word, s + i, k - i) ;
      word[k - i] = 0 ;
      if (word[0] == '!') pre = 1 ;
      else if (word[0] == '*' && word[1] == '.') pre = 2 ;
      /* "*" alone is the implicit default rule; an unusable line is skipped */
      if ((word[0] == '*' && !word[1]) || !psl_normalize(word + pre, norm)) { i = e + 1 ; continue ; }
      if (n >= PSL_RULES_MAX) { free(pool) ; free(rule) ; return (errno = E2BIG, 0) ; }
      rule[n++] = w ;
      memcpy(pool + w, word, pre) ;
      memcpy(pool + w + pre, norm, strlen(norm) + 1) ;
      w += pre + strlen(norm) + 1 ;
    }
    i = e + 1 ;
  }
  psl_the_list.pool = pool ;
  psl_the_list.poollen = w ;
  psl_the_list.rule = rule ;
  psl_the_list.n = n ;
  qsort(rule, n, sizeof(size_t), &cmp) ;
  psl_the_list.loaded = 1 ;
  return 1 ;
}

int psl_load_file (char const *path)
{
  char *buf = malloc(PSL_FILE_MAX + 1) ;
  ssize_t r ;
  int ok ;
  if (!buf) return (errno = ENOMEM, 0) ;
  r = openreadnclose(path, buf, PSL_FILE_MAX + 1) ;
  if (r < 0) { free(buf) ; return 0 ; }
  if ((size_t)r > PSL_FILE_MAX) { free(buf) ; return (errno = EFBIG, 0) ; }
  ok = psl_load_text(buf, (size_t)r) ;
  free(buf) ;
  return ok ;
}

int psl_load (void)
{
  char const *path ;
  if (psl_the_list.loaded) return 1 ;
  path = getenv("PH_PSL_FILE") ;
  return psl_load_file(path && *path ? path : PSL_FILE_DEFAULT) ;
}

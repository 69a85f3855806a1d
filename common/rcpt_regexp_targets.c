/* ISC license. */

#include <errno.h>

#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/regexpmap.h"
#include "common/rcpt.h"

 /* A regexp.map result is a Postfix alias list: addresses separated by
    commas and/or white space. Each becomes an addr_key (lower-cased),
    NUL-terminated, as aliases.cdb values are; a result piece that is no
    address is a malformed map (EINVAL: the recipient waits, 4xx), since
    substituted text cannot be checked when mailctl compiles. */

static int is_sep (char c)
{
  return c == ',' || c == ' ' || c == '\t' ;
}

int rcpt_regexp_targets (rcptmaps *m, char const *key, size_t keylen, stralloc *targets)
{
  stralloc res = STRALLOC_ZERO ;
  size_t i = 0 ;
  size_t origlen = targets->len ;
  int r = regexpmap_match(&m->regexps, key, keylen, &res) ;
  if (r <= 0) goto end ;
  while (res.s[i])
  {
    mailaddr a ;
    char k[ADDR_PATH_MAX + 3] ;
    size_t start ;
    while (res.s[i] && is_sep(res.s[i])) i++ ;
    if (!res.s[i]) break ;
    start = i ;
    while (res.s[i] && !is_sep(res.s[i])) i++ ;
    if (!addr_parse_mailbox(res.s + start, i - start, &a, ADDR_UTF8_OK) || a.at >= a.len || a.literal)
    {
      errno = EINVAL ;
      r = -1 ;
      goto end ;
    }
    if (!stralloc_catb(targets, k, addr_key(&a, k) + 1)) { r = -1 ; goto end ; }
  }
  if (targets->len == origlen) { errno = EINVAL ; r = -1 ; }
 end:
  {
    int e = errno ;
    if (r < 0) targets->len = origlen ;
    stralloc_free(&res) ;
    errno = e ;
  }
  return r ;
}

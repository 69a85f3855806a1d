/* ISC license. */

/* RFC 5051 i;unicode-casemap: each character to its simple titlecase,
 * then fully decomposed (NFKD), so that "É", "é" and "E\u0301" compare
 * equal. Invalid UTF-8 bytes become U+FFFD. */

#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "common/mime-internal.h"

int mime_fold (stralloc *sa, char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t i = 0 ;
  if (!stralloc_readyplus(sa, len)) return 0 ;
  while (i < len)
  {
    uint32_t cp, out[32] ;
    unsigned int n = mime_utf8_seq(u + i, len - i, &cp) ;
    unsigned int m ;
    if (!n) { cp = 0xfffd ; n = 1 ; }
    i += n ;
    if (cp < 0x80)
    {
      char c = cp >= 'a' && cp <= 'z' ? cp - 32 : cp ;
      if (!stralloc_catb(sa, &c, 1)) return 0 ;
      continue ;
    }
    m = mime_fold_cp(cp, out) ;
    for (unsigned int k = 0 ; k < m ; k++)
      if (!mime_utf8_put(sa, out[k])) return 0 ;
  }
  return 1 ;
}

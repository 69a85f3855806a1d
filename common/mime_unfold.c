/* ISC license. */

/* RFC 5322 §2.2.3: unfolding removes the CRLF before a WSP. A lone CR
 * or LF is dropped as well (it cannot be meant). */

#include <skalibs/stralloc.h>
#include "common/mime.h"

int mime_unfold (stralloc *sa, char const *v, size_t vlen)
{
  size_t start = 0 ;
  size_t base = sa->len ;
  while (start < vlen && (v[start] == ' ' || v[start] == '\t' || v[start] == '\r' || v[start] == '\n')) start++ ;
  for (size_t i = start ; i < vlen ; i++)
    if (v[i] != '\r' && v[i] != '\n' && !stralloc_catb(sa, v + i, 1)) return 0 ;
  while (sa->len > base && (sa->s[sa->len - 1] == ' ' || sa->s[sa->len - 1] == '\t')) sa->len-- ;
  return 1 ;
}

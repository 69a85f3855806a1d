/* ISC license. */

/* RFC 5322 §2.2: a field is a name, a colon and a value that goes on
 * over folded lines (lines starting with SP or HTAB). Lines without a
 * colon are skipped (real mail has them: mbox "From " lines, junk);
 * WSP before the colon is the obsolete form of §4.5 and is dropped from
 * the name. Bare LF is taken as a line end too. */

#include <string.h>
#include "common/mime.h"

static size_t line_end (char const *h, size_t hlen, size_t pos)
{
  char const *nl = memchr(h + pos, '\n', hlen - pos) ;
  return nl ? (size_t)(nl - h) + 1 : hlen ;
}

int mime_header_next (char const *h, size_t hlen, size_t *pos, char const **name, size_t *namelen, char const **v, size_t *vlen)
{
  size_t p = *pos ;
  while (p < hlen)
  {
    size_t e = line_end(h, hlen, p) ;
    size_t colon, n, vend ;
    if (h[p] == '\n' || (h[p] == '\r' && p + 1 < hlen && h[p+1] == '\n')) break ;   /* the empty line */
    if (h[p] == ' ' || h[p] == '\t') { p = e ; continue ; }   /* a fold with no field before it */
    {
      char const *c = memchr(h + p, ':', e - p) ;
      if (!c) { p = e ; continue ; }
      colon = c - h ;
    }
    n = colon - p ;
    while (n && (h[p + n - 1] == ' ' || h[p + n - 1] == '\t')) n-- ;
    if (!n) { p = e ; continue ; }
    while (e < hlen && (h[e] == ' ' || h[e] == '\t')) e = line_end(h, hlen, e) ;
    vend = e ;
    if (vend > colon + 1 && h[vend - 1] == '\n') vend-- ;
    if (vend > colon + 1 && h[vend - 1] == '\r') vend-- ;
    *name = h + p ;
    *namelen = n ;
    *v = h + colon + 1 ;
    *vlen = vend - colon - 1 ;
    *pos = e ;
    return 1 ;
  }
  *pos = hlen ;
  return 0 ;
}

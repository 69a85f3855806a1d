/* ISC license. */

/* msg-id lists (RFC 5322 §3.6.4): every "<...>" outside comments, with
 * any folding white space inside removed; text between them (the
 * obsolete phrases of §4.5.4) is ignored. Bounded to 10000 ids. */

#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "common/mime-internal.h"

unsigned int mime_msgids (stralloc *sa, char const *v, size_t vlen)
{
  unsigned int n = 0 ;
  size_t pos = 0 ;
  while (pos < vlen && n < 10000)
  {
    size_t start = sa->len ;
    pos = mime_skip_cfws(v, vlen, pos) ;
    if (pos >= vlen) break ;
    if (v[pos] == '"') { pos = mime_quoted(0, v, vlen, pos) ; continue ; }
    if (v[pos] != '<') { pos++ ; continue ; }
    while (pos < vlen && v[pos] != '>')
    {
      char c = v[pos++] ;
      if (c == '<' && sa->len > start) { sa->len = start ; }   /* "<a <b>": the inner one */
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue ;
      if (!stralloc_catb(sa, &c, 1)) { sa->len = start ; return n ; }
    }
    if (pos >= vlen) { sa->len = start ; break ; }
    pos++ ;
    if (sa->len - start < 2 || !stralloc_catb(sa, ">", 1) || !stralloc_0(sa)) { sa->len = start ; continue ; }
    n++ ;
  }
  return n ;
}

/* ISC license. */

/* Field and query lookups in a parsed request. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "common/hexdigit.h"
#include "http_request.h"

char const *http_request_field (http_request const *r, char const *s, char const *name, size_t *vlen)
{
  size_t n = strlen(name) ;
  for (unsigned int i = 0 ; i < r->nfields ; i++)
  {
    http_field const *f = r->field + i ;
    if (f->namelen == n && !case_diffb(s + f->name, n, name))
    {
      *vlen = f->valuelen ;
      return s + f->value ;
    }
  }
  return 0 ;
}

/* application/x-www-form-urlencoded pairs (name=value&...): '+' is a
 * space, %HH a byte. */
int http_query_param (http_request const *r, char const *s, char const *name, char *out, size_t max)
{
  size_t n = strlen(name), i = r->query, end = r->query + r->querylen ;
  if (!r->querylen || !max) return 0 ;
  while (i < end)
  {
    size_t amp = i + byte_chr(s + i, end - i, '&') ;
    size_t eq = i + byte_chr(s + i, amp - i, '=') ;
    if (eq - i == n && !case_diffb(s + i, n, name))
    {
      size_t w = 0 ;
      size_t k = eq < amp ? eq + 1 : amp ;
      while (k < amp)
      {
        char c = s[k] ;
        if (c == '%')
        {
          int b = amp - k < 3 ? -1 : hex_pair(s + k + 1) ;
          if (b < 0) return -1 ;
          c = (char)b ;
          k += 3 ;
        }
        else
        {
          if (c == '+') c = ' ' ;
          k++ ;
        }
        if (w + 1 >= max || !c) return -1 ;
        out[w++] = c ;
      }
      out[w] = 0 ;
      return 1 ;
    }
    i = amp + 1 ;
  }
  return 0 ;
}

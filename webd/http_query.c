/* ISC license. */

/* Field and query lookups in a parsed request. */

#include <string.h>

#include <skalibs/bytestr.h>

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

static int hexval (char c)
{
  if (c >= '0' && c <= '9') return c - '0' ;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10 ;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10 ;
  return -1 ;
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
          int hi, lo ;
          if (amp - k < 3 || (hi = hexval(s[k+1])) < 0 || (lo = hexval(s[k+2])) < 0) return -1 ;
          c = (char)(hi * 16 + lo) ;
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

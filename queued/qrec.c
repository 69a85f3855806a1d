/* ISC license. */

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#include "queued/qrec.h"

static size_t header (char *h, char type, size_t len)
{
  size_t n = 1 ;
  h[0] = type ;
  n += size_fmt(h + 1, len) ;
  h[n++] = ':' ;
  return n ;
}

int qrec_append (stralloc *sa, char type, char const *s, size_t len)
{
  char h[2 + SIZE_FMT] ;
  size_t n = header(h, type, len) ;
  return stralloc_catb(sa, h, n) && stralloc_catb(sa, s, len) && stralloc_catb(sa, ",", 1) ;
}

int qrec_put (buffer *b, char type, char const *s, size_t len)
{
  char h[2 + SIZE_FMT] ;
  size_t n = header(h, type, len) ;
  size_t w = 0 ;
  if (!buffer_putall(b, h, n, &w)) return 0 ;
  w = 0 ;
  if (!buffer_putall(b, s, len, &w)) return 0 ;
  w = 0 ;
  return buffer_putall(b, ",", 1, &w) ;
}

ssize_t qrec_parse (char const *s, size_t len, qrec *r)
{
  size_t i = 1, n = 0 ;
  if (!len) return 0 ;
  if (s[0] < 'A' || s[0] > 'Z') return -1 ;
  for (;; i++)
  {
    if (i >= len) return 0 ;
    if (s[i] == ':') break ;
    if (s[i] < '0' || s[i] > '9') return -1 ;
    if (i == 2 && s[1] == '0') return -1 ;  /* no leading zeros */
    n = n * 10 + (s[i] - '0') ;
    if (n > QREC_DATA_MAX) return -1 ;
  }
  if (i == 1) return -1 ;
  i++ ;
  if (len - i < n + 1) return 0 ;
  if (s[i + n] != ',') return -1 ;
  r->type = s[0] ;
  r->s = s + i ;
  r->len = n ;
  return i + n + 1 ;
}

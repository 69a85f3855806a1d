/* ISC license. */

/* UTF-8 helpers (RFC 3629): strict decoding (no overlongs, no
 * surrogates, nothing above U+10FFFF), encoding, and the "valid UTF-8
 * or else Latin-1" rule for raw 8-bit header text. */

#include <skalibs/stralloc.h>
#include "common/mime-internal.h"

unsigned int mime_utf8_seq (unsigned char const *s, size_t len, uint32_t *cp)
{
  unsigned int n ;
  uint32_t c ;
  if (!len) return 0 ;
  if (s[0] < 0x80) { *cp = s[0] ; return 1 ; }
  if (s[0] < 0xc2) return 0 ;
  if (s[0] < 0xe0) { n = 2 ; c = s[0] & 0x1f ; }
  else if (s[0] < 0xf0) { n = 3 ; c = s[0] & 0x0f ; }
  else if (s[0] < 0xf5) { n = 4 ; c = s[0] & 0x07 ; }
  else return 0 ;
  if (len < n) return 0 ;
  for (unsigned int i = 1 ; i < n ; i++)
  {
    if ((s[i] & 0xc0) != 0x80) return 0 ;
    c = c << 6 | (s[i] & 0x3f) ;
  }
  if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c < 0xe000)) return 0 ;
  *cp = c ;
  return n ;
}

int mime_utf8_put (stralloc *sa, uint32_t cp)
{
  char b[4] ;
  unsigned int n ;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) cp = 0xfffd ;
  if (cp < 0x80) { b[0] = cp ; n = 1 ; }
  else if (cp < 0x800) { b[0] = 0xc0 | cp >> 6 ; b[1] = 0x80 | (cp & 0x3f) ; n = 2 ; }
  else if (cp < 0x10000) { b[0] = 0xe0 | cp >> 12 ; b[1] = 0x80 | (cp >> 6 & 0x3f) ; b[2] = 0x80 | (cp & 0x3f) ; n = 3 ; }
  else { b[0] = 0xf0 | cp >> 18 ; b[1] = 0x80 | (cp >> 12 & 0x3f) ; b[2] = 0x80 | (cp >> 6 & 0x3f) ; b[3] = 0x80 | (cp & 0x3f) ; n = 4 ; }
  return stralloc_catb(sa, b, n) ;
}

int mime_raw_to_utf8 (stralloc *sa, char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t i = 0 ;
  while (i < len)
  {
    uint32_t cp ;
    unsigned int n = mime_utf8_seq(u + i, len - i, &cp) ;
    if (!n) break ;
    i += n ;
  }
  if (i == len) return stralloc_catb(sa, s, len) ;
  for (i = 0 ; i < len ; i++)
    if (!mime_utf8_put(sa, u[i])) return 0 ;
  return 1 ;
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

#include "common/mbox.h"

 /* IMAP's modified UTF-7 (RFC 3501 §5.1.3): printable US-ASCII stands
    for itself except '&', written "&-"; anything else is UTF-16BE in
    base64 with ',' for '/', between '&' and '-', without padding.
    Decoding is strict, as the RFC asks: printable ASCII inside a shift,
    non-zero leftover bits, an empty or doubled shift, or a bad surrogate
    pair is EINVAL, so one name has exactly one encoding on disk. */

static char const b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+," ;

static int b64val (unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == ',') return 63 ;
  return -1 ;
}

static int put_utf8 (stralloc *sa, uint32_t c)
{
  char b[4] ;
  size_t n ;
  if (c < 0x80) { b[0] = c ; n = 1 ; }
  else if (c < 0x800) { b[0] = 0xc0 | (c >> 6) ; b[1] = 0x80 | (c & 0x3f) ; n = 2 ; }
  else if (c < 0x10000) { b[0] = 0xe0 | (c >> 12) ; b[1] = 0x80 | ((c >> 6) & 0x3f) ; b[2] = 0x80 | (c & 0x3f) ; n = 3 ; }
  else { b[0] = 0xf0 | (c >> 18) ; b[1] = 0x80 | ((c >> 12) & 0x3f) ; b[2] = 0x80 | ((c >> 6) & 0x3f) ; b[3] = 0x80 | (c & 0x3f) ; n = 4 ; }
  return stralloc_catb(sa, b, n) ;
}

int mutf7_to_utf8 (stralloc *sa, char const *s, size_t len)
{
  size_t base = sa->len ;
  size_t i = 0 ;
  int lastshift = 0 ;   /* the previous token was a base64 run: another may not follow at once */
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (c < 0x20 || c > 0x7e) goto bad ;
    if (c != '&')
    {
      if (!stralloc_catb(sa, (char *)&c, 1)) goto err ;
      i++ ; lastshift = 0 ;
      continue ;
    }
    i++ ;
    if (i < len && s[i] == '-')
    {
      if (!stralloc_catb(sa, "&", 1)) goto err ;
      i++ ; lastshift = 0 ;
      continue ;
    }
    if (lastshift) goto bad ;
    {
      uint32_t bits = 0 ;
      unsigned int nbits = 0 ;
      uint32_t high = 0 ;   /* pending high surrogate */
      size_t units = 0 ;
      for (;;)
      {
        int v ;
        if (i >= len) goto bad ;
        if (s[i] == '-') { i++ ; break ; }
        v = b64val(s[i++]) ;
        if (v < 0) goto bad ;
        bits = (bits << 6) | v ; nbits += 6 ;
        if (nbits >= 16)
        {
          uint32_t u = (bits >> (nbits - 16)) & 0xffff ;
          nbits -= 16 ;
          bits &= (1U << nbits) - 1 ;
          units++ ;
          if (high)
          {
            if (u < 0xdc00 || u > 0xdfff) goto bad ;
            if (!put_utf8(sa, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00))) goto err ;
            high = 0 ;
          }
          else if (u >= 0xd800 && u <= 0xdbff) high = u ;
          else if (u >= 0xdc00 && u <= 0xdfff) goto bad ;
          else if (!u || (u >= 0x20 && u <= 0x7e)) goto bad ;   /* printable ASCII must stand for itself; no NUL */
          else if (!put_utf8(sa, u)) goto err ;
        }
      }
      if (!units || high || nbits >= 6 || bits) goto bad ;
      lastshift = 1 ;
    }
  }
  return 1 ;
 bad:
  errno = EINVAL ;
 err:
  sa->len = base ;
  return 0 ;
}

 /* One UTF-8 sequence at s (strict: no overlong form, no surrogate, ≤ U+10FFFF). */
static size_t get_utf8 (char const *s, size_t len, uint32_t *cp)
{
  unsigned char c = s[0] ;
  uint32_t u, min ;
  size_t n ;
  if (c < 0x80) { *cp = c ; return 1 ; }
  if ((c & 0xe0) == 0xc0) { n = 2 ; u = c & 0x1f ; min = 0x80 ; }
  else if ((c & 0xf0) == 0xe0) { n = 3 ; u = c & 0x0f ; min = 0x800 ; }
  else if ((c & 0xf8) == 0xf0) { n = 4 ; u = c & 0x07 ; min = 0x10000 ; }
  else return 0 ;
  if (n > len) return 0 ;
  for (size_t j = 1 ; j < n ; j++)
  {
    if (((unsigned char)s[j] & 0xc0) != 0x80) return 0 ;
    u = (u << 6) | ((unsigned char)s[j] & 0x3f) ;
  }
  if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) return 0 ;
  *cp = u ;
  return n ;
}

static int flush_bits (stralloc *sa, uint32_t *bits, unsigned int *nbits)
{
  while (*nbits >= 6)
  {
    *nbits -= 6 ;
    if (!stralloc_catb(sa, &b64[(*bits >> *nbits) & 0x3f], 1)) return 0 ;
  }
  *bits &= (1U << *nbits) - 1 ;
  return 1 ;
}

int utf8_to_mutf7 (stralloc *sa, char const *s, size_t len)
{
  size_t base = sa->len ;
  size_t i = 0 ;
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (c >= 0x20 && c <= 0x7e)
    {
      if (!stralloc_catb(sa, (char const *)s + i, 1)) goto err ;
      if (c == '&' && !stralloc_catb(sa, "-", 1)) goto err ;
      i++ ;
      continue ;
    }
    {
      uint32_t bits = 0 ;
      unsigned int nbits = 0 ;
      if (!stralloc_catb(sa, "&", 1)) goto err ;
      while (i < len && ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e))
      {
        uint32_t cp ;
        size_t n = get_utf8(s + i, len - i, &cp) ;
        if (!n) { errno = EINVAL ; goto err ; }
        i += n ;
        if (cp >= 0x10000)
        {
          cp -= 0x10000 ;
          bits = (bits << 16) | (0xd800 + (cp >> 10)) ; nbits += 16 ;
          if (!flush_bits(sa, &bits, &nbits)) goto err ;
          bits = (bits << 16) | (0xdc00 + (cp & 0x3ff)) ; nbits += 16 ;
        }
        else { bits = (bits << 16) | cp ; nbits += 16 ; }
        if (!flush_bits(sa, &bits, &nbits)) goto err ;
      }
      if (nbits && !stralloc_catb(sa, &b64[(bits << (6 - nbits)) & 0x3f], 1)) goto err ;
      if (!stralloc_catb(sa, "-", 1)) goto err ;
    }
  }
  return 1 ;
 err:
  sa->len = base ;
  return 0 ;
}

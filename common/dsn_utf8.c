/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"
#include "common/hexdigit.h"

/* RFC 6533 3: QCHAR = %x21-2a / %x2c-3c / %x3e-5b / %x5d-7e */
static int qchar (unsigned char c)
{
  return c >= 0x21 && c <= 0x7e && c != '+' && c != '=' && c != '\\' ;
}

/* The ASCII code points a 2-digit HEXPOINT may stand for:
 * ( ("0"/"1") %x31-39 ) / "10" / "20" / "2B" / "3D" / "7F" / "5C". */
static int ascii_hexpoint (uint32_t c)
{
  if ((c >= 0x01 && c <= 0x09) || (c >= 0x10 && c <= 0x19)) return 1 ;
  return c == 0x20 || c == 0x2b || c == 0x3d || c == 0x7f || c == 0x5c ;
}

/* One code point of strict UTF-8 (RFC 3629 4) at s[0..len): its length,
 * or 0 if the bytes are not one. */
static size_t utf8_next (unsigned char const *s, size_t len, uint32_t *cp)
{
  unsigned char c = s[0] ;
  size_t n ;
  uint32_t v, min ;
  if (c < 0x80) { *cp = c ; return 1 ; }
  if (c >= 0xc2 && c <= 0xdf) { n = 2 ; v = c & 0x1f ; min = 0x80 ; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3 ; v = c & 0x0f ; min = 0x800 ; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4 ; v = c & 0x07 ; min = 0x10000 ; }
  else return 0 ;
  if (len < n) return 0 ;
  for (size_t i = 1 ; i < n ; i++)
  {
    if ((s[i] & 0xc0) != 0x80) return 0 ;
    v = (v << 6) | (s[i] & 0x3f) ;
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0 ;
  *cp = v ;
  return n ;
}

static void put_utf8 (stralloc *out, uint32_t v)
{
  char *p = out->s + out->len ;
  if (v < 0x80) { p[0] = (char)v ; out->len += 1 ; }
  else if (v < 0x800)
  {
    p[0] = (char)(0xc0 | (v >> 6)) ;
    p[1] = (char)(0x80 | (v & 0x3f)) ;
    out->len += 2 ;
  }
  else if (v < 0x10000)
  {
    p[0] = (char)(0xe0 | (v >> 12)) ;
    p[1] = (char)(0x80 | ((v >> 6) & 0x3f)) ;
    p[2] = (char)(0x80 | (v & 0x3f)) ;
    out->len += 3 ;
  }
  else
  {
    p[0] = (char)(0xf0 | (v >> 18)) ;
    p[1] = (char)(0x80 | ((v >> 12) & 0x3f)) ;
    p[2] = (char)(0x80 | ((v >> 6) & 0x3f)) ;
    p[3] = (char)(0x80 | (v & 0x3f)) ;
    out->len += 4 ;
  }
}

/* "\x{" HEXPOINT "}": two digits below U+0100 (the ABNF's 2-digit
 * forms, so a leading zero there), else as many as the value needs. */
static void put_escape (stralloc *out, uint32_t v)
{
  static char const hex[] = "0123456789ABCDEF" ;
  unsigned int digits = 2 ;
  while (digits < 6 && v >> (4 * digits)) digits++ ;
  out->s[out->len++] = '\\' ;
  out->s[out->len++] = 'x' ;
  out->s[out->len++] = '{' ;
  while (digits--) out->s[out->len++] = hex[(v >> (4 * digits)) & 15] ;
  out->s[out->len++] = '}' ;
}

int dsn_utf8addr_encode (stralloc *out, char const *s, size_t len, int xtext)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t start = out->len ;
  size_t i = 0 ;
  if (!len) return (errno = EINVAL, 0) ;
  /* at most 10 bytes ("\x{10FFFF}") for each code point, which takes at
   * least one input byte */
  if (len > ((size_t)-1 - out->len) / 10 - 1) return (errno = ENOMEM, 0) ;
  if (!stralloc_readyplus(out, len * 10)) return 0 ;
  while (i < len)
  {
    uint32_t v ;
    size_t n = utf8_next(u + i, len - i, &v) ;
    if (!n) goto inval ;
    if (v < 0x80)
    {
      if (qchar((unsigned char)v)) out->s[out->len++] = (char)v ;
      else if (ascii_hexpoint(v)) put_escape(out, v) ;
      else goto inval ;
    }
    else if (xtext) put_escape(out, v) ;
    else
    {
      for (size_t k = 0 ; k < n ; k++) out->s[out->len++] = s[i + k] ;
    }
    i += n ;
  }
  return 1 ;
 inval:
  out->len = start ;
  errno = EINVAL ;
  return 0 ;
}

/* Is the HEXPOINT of this many digits, with this value, one the ABNF
 * admits? The 2-digit forms are the ASCII set above and 80-FF; then
 * NZHEXDIG 2HEXDIG; NZDHEXDIG 3HEXDIG or "D" %x30-37 2HEXDIG (no
 * surrogate); NZHEXDIG 4HEXDIG; "10" 4HEXDIG. A leading zero appears in
 * the 2-digit forms only, so each code point has one spelling (up to
 * case). */
static int hexpoint_ok (unsigned int digits, uint32_t v)
{
  switch (digits)
  {
    case 2 : return ascii_hexpoint(v) || v >= 0x80 ;
    case 3 : return v >= 0x100 ;
    case 4 : return v >= 0x1000 && (v < 0xd800 || v > 0xdfff) ;
    case 5 : return v >= 0x10000 ;
    case 6 : return v >= 0x100000 && v <= 0x10ffff ;
    default : return 0 ;
  }
}

/* The one reader of both forms: appends the decoded address to out, or
 * only checks the grammar when out is 0 (smtpd's RCPT, which keeps the
 * value as received and needs no copy). */
static int scan (stralloc *out, char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t i = 0 ;
  if (!len) return (errno = EINVAL, 0) ;
  while (i < len)
  {
    uint32_t v ;
    if (u[i] == '\\')
    {
      unsigned int digits = 0 ;
      if (len - i < 5 || s[i + 1] != 'x' || s[i + 2] != '{') goto inval ;
      i += 3 ;
      v = 0 ;
      while (i < len && s[i] != '}')
      {
        int h = hex_digit(s[i]) ;
        if (h < 0 || ++digits > 6) goto inval ;
        v = (v << 4) | (uint32_t)h ;
        i++ ;
      }
      if (i == len || !hexpoint_ok(digits, v)) goto inval ;
      i++ ;
      if (out) put_utf8(out, v) ;
    }
    else if (u[i] < 0x80)
    {
      if (!qchar(u[i])) goto inval ;
      if (out) out->s[out->len++] = s[i] ;
      i++ ;
    }
    else
    {
      size_t n = utf8_next(u + i, len - i, &v) ;
      if (!n) goto inval ;
      if (out) for (size_t k = 0 ; k < n ; k++) out->s[out->len++] = s[i + k] ;
      i += n ;
    }
  }
  return 1 ;
 inval:
  errno = EINVAL ;
  return 0 ;
}

int dsn_utf8addr_decode (stralloc *out, char const *s, size_t len)
{
  size_t start = out->len ;
  if (!len) return (errno = EINVAL, 0) ;
  /* the decoded form is never longer than the encoded one */
  if (!stralloc_readyplus(out, len)) return 0 ;
  if (scan(out, s, len)) return 1 ;
  out->len = start ;
  return 0 ;
}

int dsn_utf8addr_valid (char const *s, size_t len)
{
  return scan(0, s, len) ;
}

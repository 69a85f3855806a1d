/* ISC license. */

#include "common/addr-internal.h"

/* RFC 3629 section 4:
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *            %xF4 %x80-8F 2( UTF8-tail )
 * The second-octet ranges are what exclude overlong forms (C0, C1, E0 80,
 * F0 80), surrogates (ED A0-BF) and code points past U+10FFFF (F4 90+). */

static int in (unsigned char c, unsigned char lo, unsigned char hi)
{
  return c >= lo && c <= hi ;
}

size_t addr_utf8_seq (char const *s, size_t len)
{
  unsigned char const *u = (unsigned char const *)s ;
  size_t n, i ;
  unsigned char lo = 0x80, hi = 0xbf ;
  if (!len) return 0 ;
  if (in(u[0], 0xc2, 0xdf)) n = 2 ;
  else if (in(u[0], 0xe0, 0xef))
  {
    n = 3 ;
    if (u[0] == 0xe0) lo = 0xa0 ;
    else if (u[0] == 0xed) hi = 0x9f ;
  }
  else if (in(u[0], 0xf0, 0xf4))
  {
    n = 4 ;
    if (u[0] == 0xf0) lo = 0x90 ;
    else if (u[0] == 0xf4) hi = 0x8f ;
  }
  else return 0 ;
  if (len < n) return 0 ;
  if (!in(u[1], lo, hi)) return 0 ;
  for (i = 2 ; i < n ; i++) if (!in(u[i], 0x80, 0xbf)) return 0 ;
  return n ;
}

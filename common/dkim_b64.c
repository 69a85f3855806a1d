/* ISC license. */

/* Base64 (RFC 4648 §4) for b=, bh= and p=, which may hold FWS
 * (RFC 6376 §3.5: "whitespace is ignored in this value"). Padding is
 * required and checked; bits left over must be zero. */

#include <skalibs/stralloc.h>

#include "common/dkim.h"

static char const alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

/* 0 for a byte outside the alphabet, else the value + 1 */
static unsigned char const value[256] =
{
  ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
  ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
  ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
  ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
  ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
  ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
  ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
  ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64
} ;

static int val (char c)
{
  return (int)value[(unsigned char)c] - 1 ;
}

int dkim_b64_decode (char const *s, size_t len, unsigned char *out, size_t max, size_t *outlen)
{
  uint32_t acc = 0 ;
  unsigned int k = 0, pad = 0 ;
  size_t n = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    int v ;
    /* a whole group of four alphabet bytes, the usual case, at once */
    if (!k && !pad && i + 4 <= len && n + 3 <= max)
    {
      unsigned int a = value[(unsigned char)c], b = value[(unsigned char)s[i+1]], d = value[(unsigned char)s[i+2]], e = value[(unsigned char)s[i+3]] ;
      if (a && b && d && e)
      {
        uint32_t g = (uint32_t)(a - 1) << 18 | (uint32_t)(b - 1) << 12 | (uint32_t)(d - 1) << 6 | (uint32_t)(e - 1) ;
        out[n++] = g >> 16 ;
        out[n++] = (g >> 8) & 0xff ;
        out[n++] = g & 0xff ;
        i += 3 ;
        continue ;
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue ;
    if (c == '=')
    {
      if (k < 2 || ++pad > 2) return 0 ;
      acc <<= 6 ;
      if (++k == 4) goto group ;
      continue ;
    }
    if (pad) return 0 ;   /* data after padding */
    v = val(c) ;
    if (v < 0) return 0 ;
    acc = (acc << 6) | (uint32_t)v ;
    if (++k < 4) continue ;
   group:
    if (n + 3 - pad > max) return 0 ;
    if (pad == 2 && (acc & 0xffff)) return 0 ;
    if (pad == 1 && (acc & 0xff)) return 0 ;
    out[n++] = acc >> 16 ;
    if (pad < 2) out[n++] = (acc >> 8) & 0xff ;
    if (!pad) out[n++] = acc & 0xff ;
    acc = 0 ;
    k = 0 ;
    if (pad) pad = 3 ;   /* nothing may follow a padded group */
  }
  if (k) return 0 ;
  *outlen = n ;
  return 1 ;
}

int dkim_b64_encode (stralloc *sa, unsigned char const *s, size_t len)
{
  if (!stralloc_readyplus(sa, (len + 2) / 3 * 4)) return 0 ;
  for (size_t i = 0 ; i < len ; i += 3)
  {
    uint32_t acc = (uint32_t)s[i] << 16 ;
    if (i + 1 < len) acc |= (uint32_t)s[i+1] << 8 ;
    if (i + 2 < len) acc |= s[i+2] ;
    sa->s[sa->len++] = alphabet[acc >> 18] ;
    sa->s[sa->len++] = alphabet[(acc >> 12) & 63] ;
    sa->s[sa->len++] = i + 1 < len ? alphabet[(acc >> 6) & 63] : '=' ;
    sa->s[sa->len++] = i + 2 < len ? alphabet[acc & 63] : '=' ;
  }
  return 1 ;
}

/* ISC license. */

/* Base64 (RFC 4648 §4) for b=, bh= and p=, which may hold FWS
 * (RFC 6376 §3.5: "whitespace is ignored in this value"). Padding is
 * required and checked; bits left over must be zero. */

#include <skalibs/stralloc.h>

#include "common/dkim.h"

static char const alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

static int val (char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
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

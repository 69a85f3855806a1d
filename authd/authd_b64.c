/* ISC license. */

#include <stddef.h>

#include "authd.h"

/* RFC 4648 section 4. The decoder is strict on purpose (RFC 4648
 * section 3.5 allows it, and RFC 4954 section 4 makes a malformed
 * response an error): the length is a multiple of 4, '=' appears only
 * as the last one or two characters, and the bits under the padding
 * are zero, so every byte string has exactly one accepted encoding. */

static char const alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

static int value (char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A' ;
  if (c >= 'a' && c <= 'z') return c - 'a' + 26 ;
  if (c >= '0' && c <= '9') return c - '0' + 52 ;
  if (c == '+') return 62 ;
  if (c == '/') return 63 ;
  return -1 ;
}

int authd_b64_decode (char const *s, size_t len, char *out, size_t *outlen)
{
  size_t w = 0 ;
  if (len % 4) return 0 ;
  for (size_t i = 0 ; i < len ; i += 4)
  {
    int last = i + 4 == len ;
    int v[4] ;
    unsigned int pad = 0 ;
    for (unsigned int j = 0 ; j < 4 ; j++)
    {
      if (s[i + j] == '=')
      {
        /* padding: only in the last quantum, only at positions 2 and 3,
         * and nothing but padding after it */
        if (!last || j < 2 || (j == 2 && s[i + 3] != '=')) return 0 ;
        v[j] = 0 ;
        pad++ ;
      }
      else
      {
        if (pad) return 0 ;
        v[j] = value(s[i + j]) ;
        if (v[j] < 0) return 0 ;
      }
    }
    if (pad == 2 && (v[1] & 0x0f)) return 0 ;
    if (pad == 1 && (v[2] & 0x03)) return 0 ;
    out[w++] = (char)((v[0] << 2) | (v[1] >> 4)) ;
    if (pad < 2) out[w++] = (char)(((v[1] & 0x0f) << 4) | (v[2] >> 2)) ;
    if (pad < 1) out[w++] = (char)(((v[2] & 0x03) << 6) | v[3]) ;
  }
  *outlen = w ;
  return 1 ;
}

size_t authd_b64_encode (char const *s, size_t len, char *out)
{
  size_t w = 0 ;
  for (size_t i = 0 ; i < len ; i += 3)
  {
    unsigned int a = (unsigned char)s[i] ;
    unsigned int b = i + 1 < len ? (unsigned char)s[i + 1] : 0 ;
    unsigned int c = i + 2 < len ? (unsigned char)s[i + 2] : 0 ;
    out[w++] = alphabet[a >> 2] ;
    out[w++] = alphabet[((a & 0x03) << 4) | (b >> 4)] ;
    out[w++] = i + 1 < len ? alphabet[((b & 0x0f) << 2) | (c >> 6)] : '=' ;
    out[w++] = i + 2 < len ? alphabet[c & 0x3f] : '=' ;
  }
  return w ;
}

/* ISC license. */

/* Punycode encoding, RFC 3492 §6.3, with the parameters of §5
 * (base 36, tmin 1, tmax 26, skew 38, damp 700, initial bias 72,
 * initial n 128). Labels are short (63 bytes): code points are kept in
 * a fixed array. */

#include <stdint.h>

#include "common/psl.h"

#define PUNY_BASE 36
#define PUNY_TMIN 1
#define PUNY_TMAX 26
#define PUNY_SKEW 38
#define PUNY_DAMP 700
#define PUNY_CP_MAX 256

static uint32_t adapt (uint32_t delta, uint32_t points, int first)
{
  uint32_t k = 0 ;
  delta = first ? delta / PUNY_DAMP : delta / 2 ;
  delta += delta / points ;
  while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2)
  {
    delta /= PUNY_BASE - PUNY_TMIN ;
    k += PUNY_BASE ;
  }
  return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW) ;
}

static char digit (uint32_t d)
{
  return d < 26 ? 'a' + d : '0' + (d - 26) ;
}

/* UTF-8 to code points; 0 on a bad sequence. */
static size_t decode (char const *s, size_t len, uint32_t *cp)
{
  size_t n = 0 ;
  for (size_t i = 0 ; i < len ; )
  {
    unsigned char c = s[i] ;
    uint32_t v ;
    unsigned int more ;
    if (n >= PUNY_CP_MAX) return 0 ;
    if (c < 0x80) { v = c ; more = 0 ; }
    else if ((c & 0xe0) == 0xc0) { v = c & 0x1f ; more = 1 ; }
    else if ((c & 0xf0) == 0xe0) { v = c & 0x0f ; more = 2 ; }
    else if ((c & 0xf8) == 0xf0) { v = c & 0x07 ; more = 3 ; }
    else return 0 ;
    i++ ;
    for (unsigned int j = 0 ; j < more ; j++, i++)
    {
      if (i >= len || ((unsigned char)s[i] & 0xc0) != 0x80) return 0 ;
      v = (v << 6) | ((unsigned char)s[i] & 0x3f) ;
    }
    if (v > 0x10ffff || (more == 1 && v < 0x80) || (more == 2 && v < 0x800) || (more == 3 && v < 0x10000)) return 0 ;
    cp[n++] = v ;
  }
  return n ;
}

size_t psl_punycode (char const *s, size_t len, char *out, size_t max)
{
  uint32_t cp[PUNY_CP_MAX] ;
  size_t n = decode(s, len, cp), w = 0 ;
  uint32_t code = 0x80, delta = 0, bias = 72, h, b = 0 ;
  if (!n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (cp[i] < 0x80)
    {
      if (w + 1 >= max) return 0 ;
      out[w++] = (char)cp[i] ;
      b++ ;
    }
  h = b ;
  if (b)
  {
    if (w + 1 >= max) return 0 ;
    out[w++] = '-' ;
  }
  while (h < n)
  {
    uint32_t m = UINT32_MAX ;
    for (size_t i = 0 ; i < n ; i++) if (cp[i] >= code && cp[i] < m) m = cp[i] ;
    if ((uint64_t)(m - code) * (h + 1) + delta > UINT32_MAX) return 0 ;
    delta += (m - code) * (h + 1) ;
    code = m ;
    for (size_t i = 0 ; i < n ; i++)
    {
      if (cp[i] < code && ++delta == 0) return 0 ;
      if (cp[i] == code)
      {
        uint32_t q = delta ;
        for (uint32_t k = PUNY_BASE ; ; k += PUNY_BASE)
        {
          uint32_t t = k <= bias ? PUNY_TMIN : k >= bias + PUNY_TMAX ? PUNY_TMAX : k - bias ;
          if (q < t) break ;
          if (w + 1 >= max) return 0 ;
          out[w++] = digit(t + (q - t) % (PUNY_BASE - t)) ;
          q = (q - t) / (PUNY_BASE - t) ;
        }
        if (w + 1 >= max) return 0 ;
        out[w++] = digit(q) ;
        bias = adapt(delta, h + 1, h == b) ;
        delta = 0 ;
        h++ ;
      }
    }
    delta++ ;
    code++ ;
  }
  out[w] = 0 ;
  return w ;
}

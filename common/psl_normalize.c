/* ISC license. */

/* A domain as the list and DMARC compare it: ASCII lower case, no
 * leading or trailing dot (OpenDMARC's test table writes ".mac.com."),
 * U-labels as A-labels (RFC 5890 §2.3.2.1). */

#include <string.h>

#include "common/psl.h"

static int hostbyte (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ;
}

int psl_normalize (char const *domain, char *out)
{
  size_t len = strlen(domain), i = 0, w = 0 ;
  while (len && domain[len-1] == '.') len-- ;
  while (i < len && domain[i] == '.') i++ ;
  if (i == len) return 0 ;
  while (i < len)
  {
    size_t j = i ;
    int ascii = 1 ;
    while (j < len && domain[j] != '.')
    {
      if ((unsigned char)domain[j] >= 0x80) ascii = 0 ;
      j++ ;
    }
    if (j == i || j - i > 63 * 4) return 0 ;
    if (w) { if (w >= PSL_NAME_MAX) return 0 ; out[w++] = '.' ; }
    if (ascii)
    {
      if (j - i > 63 || w + (j - i) > PSL_NAME_MAX) return 0 ;
      for (size_t k = i ; k < j ; k++)
      {
        unsigned char c = domain[k] ;
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
        if (!hostbyte(c)) return 0 ;
        out[w++] = c ;
      }
    }
    else
    {
      char label[64] ;
      size_t n = psl_punycode(domain + i, j - i, label, 60) ;
      if (!n || w + 4 + n > PSL_NAME_MAX) return 0 ;
      memcpy(out + w, "xn--", 4) ;
      memcpy(out + w + 4, label, n) ;
      w += 4 + n ;
    }
    i = j + 1 ;
    if (j < len && i == len) return 0 ;
  }
  out[w] = 0 ;
  return 1 ;
}

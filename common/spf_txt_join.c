/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

ssize_t spf_txt_join (char const *rdata, size_t len, char *out, size_t max)
{
  size_t pos = 0, n = 0 ;
  if (!max) return -1 ;
  while (pos < len)
  {
    size_t l = (unsigned char)rdata[pos++] ;
    if (l > len - pos) return -1 ;
    if (l > max - 1 - n) return -1 ;
    memcpy(out + n, rdata + pos, l) ;
    n += l ;
    pos += l ;
  }
  out[n] = 0 ;
  return (ssize_t)n ;
}

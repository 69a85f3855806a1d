/* ISC license. */

#include "common/addr-internal.h"

/* RFC 5321 4.1.3: IPv4-address-literal = Snum 3("." Snum), Snum being
 * 1*3DIGIT with a value from 0 to 255. */

int addr_ip4_valid (char const *s, size_t len)
{
  size_t i = 0 ;
  unsigned int part = 0 ;
  for (; part < 4 ; part++)
  {
    unsigned int value = 0, digits = 0 ;
    if (part)
    {
      if (i >= len || s[i] != '.') return 0 ;
      i++ ;
    }
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3)
    {
      value = value * 10 + (s[i++] - '0') ;
      digits++ ;
    }
    if (!digits || value > 255) return 0 ;
  }
  return i == len ;
}

/* ISC license. */

#include "reqhead.h"

int reqhead_addr_valid (char const *s, size_t len)
{
  if (len > REQHEAD_ADDR_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0 ;
  return 1 ;
}

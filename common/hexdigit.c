/* ISC license. */

#include <skalibs/fmtscan.h>

#include "common/hexdigit.h"

int hex_digit (char c)
{
  unsigned char v = fmtscan_num((unsigned char)c, 16) ;
  return v < 16 ? v : -1 ;
}

int hex_pair (char const *s)
{
  int hi = hex_digit(s[0]) ;
  int lo ;
  if (hi < 0) return -1 ;
  lo = hex_digit(s[1]) ;
  return lo < 0 ? -1 : hi << 4 | lo ;
}

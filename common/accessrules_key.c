/* ISC license. */

#include <string.h>

#include <skalibs/types.h>
#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>

#include "common/accessrules.h"

/* A true prefix mask: the first bits bits are kept, counting from the most
 * significant bit of the first byte (network order). */

size_t accessrules_key (char *s, ip46 const *ip, unsigned int bits)
{
  unsigned int const size = ip46_is6(ip) ? 16 : 4 ;
  char masked[16] ;
  size_t len = 4 ;
  if (bits > size << 3) bits = size << 3 ;
  for (unsigned int i = 0 ; i < size ; i++)
  {
    unsigned int const start = i << 3 ;
    if (bits >= start + 8) masked[i] = ip->ip[i] ;
    else if (bits <= start) masked[i] = 0 ;
    else masked[i] = (unsigned char)ip->ip[i] & (0xffu << (8 - (bits - start))) & 0xffu ;
  }
  memcpy(s, size == 16 ? "ip6/" : "ip4/", 4) ;
  len += size == 16 ? ip6_fmt(s + len, masked) : ip4_fmt(s + len, masked) ;
  s[len++] = '_' ;
  len += uint_fmt(s + len, bits) ;
  return len ;
}

/* ISC license. */

#include <arpa/inet.h>
#include <string.h>

#include <skalibs/types.h>

#include "common/greylist.h"

/* A sender's retries may come from another address of the same farm:
 * postgrey keys clients by their /24 (--lookup-by-subnet, its default);
 * for IPv6, a /64 is what one site gets. */

size_t greylist_net (char *out, char const *ip)
{
  char a[16] ;
  size_t n = 0 ;
  if (inet_pton(AF_INET, ip, a) == 1)
  {
    for (unsigned int i = 0 ; i < 3 ; i++)
    {
      if (i) out[n++] = '.' ;
      n += uint_fmt(out + n, (unsigned char)a[i]) ;
    }
  }
  else if (inet_pton(AF_INET6, ip, a) == 1 && !memcmp(a, "\0\0\0\0\0\0\0\0\0\0\377\377", 12))
  {
    /* an IPv4-mapped address is its IPv4 client */
    for (unsigned int i = 12 ; i < 15 ; i++)
    {
      if (i > 12) out[n++] = '.' ;
      n += uint_fmt(out + n, (unsigned char)a[i]) ;
    }
  }
  else if (inet_pton(AF_INET6, ip, a) == 1)
  {
    static char const hex[] = "0123456789abcdef" ;
    for (unsigned int i = 0 ; i < 8 ; i++)
    {
      if (i && !(i & 1)) out[n++] = ':' ;
      out[n++] = hex[(unsigned char)a[i] >> 4] ;
      out[n++] = hex[(unsigned char)a[i] & 15] ;
    }
    memcpy(out + n, "::/64", 5) ;
    n += 5 ;
  }
  else return 0 ;
  out[n] = 0 ;
  return n ;
}

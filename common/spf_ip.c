/* ISC license. */

#include <arpa/inet.h>
#include <string.h>

#include "common/spf-internal.h"

/* Client addresses for SPF: an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is the IPv4 address it carries, so that ip4: and A records match it
 * (RFC 7208 §5: the address is compared in its own family; a mapped
 * address is an IPv4 client behind a dual-stack socket). */

int spf_ip_parse (char const *s, unsigned char *ip, int *is6)
{
  static unsigned char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } ;
  char buf[64] ;
  size_t n = strlen(s) ;
  if (!n || n >= sizeof(buf)) return 0 ;
  memcpy(buf, s, n + 1) ;
  if (inet_pton(AF_INET, buf, ip) == 1) { *is6 = 0 ; return 1 ; }
  if (inet_pton(AF_INET6, buf, ip) != 1) return 0 ;
  if (!memcmp(ip, mapped, 12))
  {
    memmove(ip, ip + 12, 4) ;
    *is6 = 0 ;
  }
  else *is6 = 1 ;
  return 1 ;
}

int spf_ip_match (unsigned char const *a, unsigned char const *b, unsigned int bits, unsigned int bytes)
{
  unsigned int full = bits >> 3, rest = bits & 7 ;
  if (bits > bytes * 8) return 0 ;
  if (memcmp(a, b, full)) return 0 ;
  if (rest)
  {
    unsigned char mask = (unsigned char)(0xff << (8 - rest)) ;
    if ((a[full] & mask) != (b[full] & mask)) return 0 ;
  }
  return 1 ;
}

void spf_ip_revname (unsigned char const *ip, int is6, char *out)
{
  static char const hex[] = "0123456789abcdef" ;
  size_t n = 0 ;
  if (is6)
  {
    for (unsigned int i = 16 ; i-- ;)
    {
      out[n++] = hex[ip[i] & 15] ; out[n++] = '.' ;
      out[n++] = hex[ip[i] >> 4] ; out[n++] = '.' ;
    }
    memcpy(out + n, "ip6.arpa", 9) ;
  }
  else
  {
    for (unsigned int i = 4 ; i-- ;)
    {
      unsigned int v = ip[i] ;
      if (v >= 100) out[n++] = '0' + v / 100 ;
      if (v >= 10) out[n++] = '0' + (v / 10) % 10 ;
      out[n++] = '0' + v % 10 ;
      out[n++] = '.' ;
    }
    memcpy(out + n, "in-addr.arpa", 13) ;
  }
}

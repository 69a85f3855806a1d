/* ISC license. */

#include <skalibs/uint16.h>

#include "common/dns.h"

 /* RFC 1035 3.3.9: PREFERENCE (16 bits), EXCHANGE (a name), nothing
    after it. */
int dns_mx_unpack (char const *rdata, size_t len, uint16_t *pref, char *exchange)
{
  size_t n ;
  if (len < 3) return 0 ;
  n = dns_name_unpack(rdata, len, 2, exchange) ;
  if (!n || 2 + n != len) return 0 ;
  uint16_unpack_big(rdata, pref) ;
  return 1 ;
}

/* ISC license. */

#include <skalibs/uint16.h>

#include "common/dns.h"

int dns_record_next (dns_query const *q, size_t *pos, char const **rdata, size_t *len)
{
  uint16_t n ;
  if (q->status != DNS_OK || *pos + 2 > q->data.len) return 0 ;
  uint16_unpack_big(q->data.s + *pos, &n) ;
  if (*pos + 2 + n > q->data.len) return 0 ;
  *rdata = q->data.s + *pos + 2 ;
  *len = n ;
  *pos += 2 + (size_t)n ;
  return 1 ;
}

/* ISC license. */

#include <skalibs/stralloc.h>

#include "common/dns.h"

void dns_query_init (dns_query *q, char const *name, uint16_t type)
{
  dns_query z = DNS_QUERY_ZERO ;
  *q = z ;
  q->name = name ;
  q->type = type ;
}

void dns_query_free (dns_query *q)
{
  stralloc_free(&q->data) ;
  q->n = 0 ;
}

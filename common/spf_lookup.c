/* ISC license. */

#include "common/spf-internal.h"

void spf_lookup (spf_ctx *c, dns_query *q, unsigned int n)
{
  if (!dns_run(c->d, q, n, c->deadline))
    for (unsigned int i = 0 ; i < n ; i++)
    {
      q[i].status = DNS_TEMPFAIL ;
      q[i].why = "resolver error" ;
    }
}

/* ISC license. */

#include "common/spf-internal.h"

#ifndef PH_FUZZING

void spf_lookup (spf_ctx *c, dns_query *q, unsigned int n)
{
  if (!dns_run(c->d, q, n, c->deadline))
    for (unsigned int i = 0 ; i < n ; i++)
    {
      q[i].status = DNS_TEMPFAIL ;
      q[i].why = "resolver error" ;
    }
}

#else

/* The fuzz build links every common object but has no resolver
 * (common/dns.h): every question fails, as a resolver error would. */
void spf_lookup (spf_ctx *c, dns_query *q, unsigned int n)
{
  (void)c ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    q[i].status = DNS_TEMPFAIL ;
    q[i].why = "no resolver in the fuzz build" ;
  }
}

#endif

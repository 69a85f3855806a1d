/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* RFC 7208 §5.5: the client's PTR names (the first 10 only, §4.6.4),
 * each kept if one of its addresses is the client's. The A/AAAA
 * questions go out together. Errors only lose names: "If a DNS error
 * occurs while doing the PTR RR lookup, then this mechanism fails to
 * match"; one for a name skips that name. */

void spf_ptr_validate (spf_ctx *c)
{
  char rev[DNS_NAME_MAX + 1] ;
  char names[SPF_PTR_MAX][DNS_NAME_MAX + 1] ;
  dns_query q ;
  dns_query aq[SPF_PTR_MAX] ;
  unsigned int n = 0 ;
  size_t pos = 0 ;
  char const *rdata ;
  size_t len ;
  c->pstate = 1 ;
  c->pn = 0 ;
  spf_ip_revname(c->ip, c->is6, rev) ;
  dns_query_init(&q, rev, 12) ;   /* PTR */
  spf_lookup(c, &q, 1) ;
  if (q.status == DNS_NXDOMAIN || q.status == DNS_NODATA) c->pvoid = 1 ;
  else if (q.status != DNS_OK) c->ptemp = 1 ;
  while (n < SPF_PTR_MAX && dns_record_next(&q, &pos, &rdata, &len))
  {
    if (!spf_name_unpack(rdata, len, 0, names[n]) || !names[n][0]) continue ;
    dns_query_init(&aq[n], names[n], c->is6 ? DNS_T_AAAA : DNS_T_A) ;
    n++ ;
  }
  dns_query_free(&q) ;
  if (!n) return ;
  spf_lookup(c, aq, n) ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    size_t p = 0 ;
    while (dns_record_next(&aq[i], &p, &rdata, &len))
      if (len == (c->is6 ? 16u : 4u) && !memcmp(rdata, c->ip, len))
      {
        memcpy(c->pnames[c->pn++], names[i], DNS_NAME_MAX + 1) ;
        break ;
      }
    dns_query_free(&aq[i]) ;
  }
}

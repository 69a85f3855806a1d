/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

#define SENDER_MAX 1024   /* far above RFC 5321's 64 + 1 + 255; longer is no sender */

int spf_check_host (dns *d, spf_query const *q, char const *domain, int identity, spf_answer *a, tain const *deadline)
{
  spf_ctx c ;
  char dom[DNS_NAME_MAX + 2] ;
  size_t n = strlen(domain) ;
  memset(a, 0, sizeof(*a)) ;
  a->identity = identity ;
  if (n && domain[n - 1] == '.') n-- ;
  if (n > DNS_NAME_MAX) n = DNS_NAME_MAX + 1 ;   /* kept only to fail spf_domain_valid */
  for (size_t i = 0 ; i < n ; i++)
  {
    char ch = domain[i] ;
    dom[i] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch ;
  }
  dom[n] = 0 ;
  memcpy(a->domain, dom, n < sizeof(a->domain) ? n + 1 : sizeof(a->domain)) ;
  a->domain[sizeof(a->domain) - 1] = 0 ;
  if (!spf_ctx_init(&c, d, q, identity, deadline))
  {
    a->result = SPF_PERMERROR ;
    memcpy(a->problem, "client address does not parse", 30) ;
    return a->result ;
  }
  c.validate = &spf_ptr_validate ;
  if (q->sender && strlen(q->sender) > SENDER_MAX)
  {
    a->result = SPF_PERMERROR ;
    memcpy(a->problem, "sender address too long", 24) ;
    return a->result ;
  }
  a->result = spf_eval(&c, dom, 1, a) ;
  if (a->result == SPF_TEMPERROR || a->result == SPF_PERMERROR)
  {
    memcpy(a->problem, c.problem, sizeof(a->problem)) ;
    a->mechanism[0] = 0 ;
  }
  if (a->result != SPF_FAIL) a->explanation[0] = 0 ;
  return a->result ;
}

/* ISC license. */

#include <strings.h>

#include "common/spf-internal.h"

/* %{p} (RFC 7208 §7.3): among the validated names, the current domain
 * itself, else a subdomain of it, else the first one; "unknown" if
 * there is none (or the lookups failed). */

char const *spf_ptr_pick (spf_ctx *c, char const *domain)
{
  for (unsigned int i = 0 ; i < c->pn ; i++)
    if (!strcasecmp(c->pnames[i], domain)) return c->pnames[i] ;
  for (unsigned int i = 0 ; i < c->pn ; i++)
    if (spf_name_within(c->pnames[i], domain)) return c->pnames[i] ;
  return c->pn ? c->pnames[0] : "unknown" ;
}

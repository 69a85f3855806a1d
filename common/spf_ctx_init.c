/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* <sender> (RFC 7208 §4.1, §2.3, §2.4): for HELO, and for the null
 * sender, postmaster@<helo>; a sender without a local part ("@domain"
 * or a bare domain) gets "postmaster" (§4.3). The domain is what
 * follows the last "@" (a quoted local part may hold one). */

int spf_ctx_init (spf_ctx *c, dns *d, spf_query const *q, int identity, tain const *deadline)
{
  char const *sender = q->sender ;
  memset(c, 0, sizeof(*c)) ;
  c->d = d ;
  c->q = q ;
  c->deadline = deadline ;
  c->local = "postmaster" ;
  c->locallen = 10 ;
  if (identity == SPF_ID_HELO || !sender || !sender[0])
  {
    c->sdomain = q->helo ? q->helo : "" ;
    c->sdomainlen = strlen(c->sdomain) ;
  }
  else
  {
    char const *at = strrchr(sender, '@') ;
    if (at)
    {
      if (at > sender)
      {
        c->local = sender ;
        c->locallen = (size_t)(at - sender) ;
      }
      c->sdomain = at + 1 ;
    }
    else c->sdomain = sender ;
    c->sdomainlen = strlen(c->sdomain) ;
  }
  if (!q->ip || !spf_ip_parse(q->ip, c->ip, &c->is6)) return 0 ;
  for (char const *s = q->ip ; *s ; s++) if (*s >= 'A' && *s <= 'F') c->upper = 1 ;
  return 1 ;
}

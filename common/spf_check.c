/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* The receiver's checks (RFC 7208 §2.3, §2.4). HELO first, when it is a
 * domain name: its fail decides (a host that may not use that HELO
 * name); its pass decides only for the null sender, whose MAIL FROM
 * identity is postmaster@<helo>, the same check. A HELO pass says
 * nothing about whether the host may use a sender's domain, so with a
 * sender the MAIL FROM identity is then checked: a forger's own HELO
 * must not vouch for someone else's domain. */

int spf_check (dns *d, spf_query const *q, spf_answer *a, tain const *deadline)
{
  int nullsender = !q->sender || !q->sender[0] ;
  char const *domain ;
  /* an address literal ("[192.0.2.1]") is no domain to check (§2.3) */
  int helodomain = q->helo && q->helo[0] != '[' && spf_domain_valid(q->helo) ;
  if (helodomain)
  {
    spf_check_host(d, q, q->helo, SPF_ID_HELO, a, deadline) ;
    if (a->result == SPF_FAIL || (nullsender && a->result == SPF_PASS)) return a->result ;
    if (nullsender)
    {
      a->identity = SPF_ID_MAILFROM ;
      return a->result ;
    }
  }
  if (nullsender) domain = helodomain ? q->helo : "" ;
  else
  {
    char const *at = strrchr(q->sender, '@') ;
    domain = at ? at + 1 : q->sender ;
  }
  return spf_check_host(d, q, domain, SPF_ID_MAILFROM, a, deadline) ;
}

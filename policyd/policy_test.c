/* ISC license. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/spf.h"
#include "policyd.h"

/* policyd -t: one SPF check, printed as name=value lines (for the admin
 * and for tests/integration/test_spf_suite.py):
 *   result=  identity=  domain=  mechanism=  explanation=  problem=
 *   received-spf=
 * identity: SPF_ID_MAILFROM (check_host() of the MAIL FROM identity, or
 * postmaster@helo for ""), SPF_ID_HELO, or 0 for what policyd does at
 * RCPT (spf_check). Values are printed as they are: they were made
 * printable ASCII by the library (explanations) or come from argv. */

static void put (char const *name, char const *value)
{
  if (buffer_puts(buffer_1, name) < 0 || buffer_put(buffer_1, "=", 1) < 0
   || buffer_puts(buffer_1, value) < 0 || buffer_put(buffer_1, "\n", 1) < 0)
    strerr_diefu1sys(111, "write to stdout") ;
}

int policy_test (policy_settings const *set, int identity, char const *ip, char const *helo, char const *sender)
{
  dns d = DNS_ZERO ;
  spf_query q = { .ip = ip, .helo = helo[0] ? helo : 0, .sender = sender, .receiver = set->receiver } ;
  spf_answer a ;
  stralloc sa = STRALLOC_ZERO ;
  tain deadline ;
  if (!policy_dns_init(&d)) strerr_diefu1sys(111, "initialize the DNS resolver") ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, set->timeout) ;
  if (!identity) spf_check(&d, &q, &a, &deadline) ;
  else
  {
    char const *domain ;
    if (identity == SPF_ID_HELO || !sender[0]) domain = helo ;
    else
    {
      char const *at = strrchr(sender, '@') ;
      domain = at ? at + 1 : sender ;
    }
    spf_check_host(&d, &q, domain, identity, &a, &deadline) ;
  }
  put("result", spf_result_name(a.result)) ;
  put("identity", a.identity == SPF_ID_HELO ? "helo" : "mailfrom") ;
  put("domain", a.domain) ;
  put("mechanism", a.mechanism) ;
  put("explanation", a.explanation) ;
  put("problem", a.problem) ;
  if (!spf_received_spf(&sa, &q, &a) || !stralloc_0(&sa)) strerr_diefu1sys(111, "format Received-SPF") ;
  put("received-spf", sa.s) ;
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  stralloc_free(&sa) ;
  dns_free(&d) ;
  return 0 ;
}

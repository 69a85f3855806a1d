/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* check_host() (RFC 7208 §4): fetch the domain's record, check the
 * whole record's syntax (§4.6: "if there are any syntax errors anywhere
 * in the record, check_host() returns immediately with the result
 * permerror"), then evaluate the mechanisms left to right; redirect=
 * only when none matched (§6.1). exp= of the record whose mechanism
 * gave the fail is used; an include's is not (§6.2). */

static int fetch (spf_ctx *c, char const *domain, char *rec, size_t *reclen)
{
  static char text[DNS_ANSWER_MAX] ;
  dns_query q ;
  size_t pos = 0, len ;
  char const *rdata ;
  unsigned int found = 0 ;
  int r = -1 ;
  dns_query_init(&q, domain, DNS_T_TXT) ;
  spf_lookup(c, &q, 1) ;
  switch (q.status)
  {
    case DNS_OK : break ;
    case DNS_NXDOMAIN :
    case DNS_NODATA :
      r = SPF_NONE ;
      goto end ;
    default :
      r = spf_fail(c, SPF_TEMPERROR, q.status == DNS_TIMEOUT ? "DNS timeout looking up the SPF record of" : "DNS error looking up the SPF record of", domain) ;
      goto end ;
  }
  while (dns_record_next(&q, &pos, &rdata, &len))
  {
    ssize_t n = spf_txt_join(rdata, len, text, sizeof(text)) ;
    if (n < 0 || !spf_record_select(text, (size_t)n)) continue ;
    if (found++)
    {
      r = spf_fail(c, SPF_PERMERROR, "several SPF records for", domain) ;
      goto end ;
    }
    if ((size_t)n > SPF_RECORD_MAX)
    {
      r = spf_fail(c, SPF_PERMERROR, "SPF record too long for", domain) ;
      goto end ;
    }
    memcpy(rec, text, (size_t)n + 1) ;
    *reclen = (size_t)n ;
  }
  if (!found) r = SPF_NONE ;
 end:
  dns_query_free(&q) ;
  return r ;
}

static void mechanism_name (spf_answer *a, spf_term const *t)
{
  size_t n = t->textlen < sizeof(a->mechanism) - 1 ? t->textlen : sizeof(a->mechanism) - 1 ;
  memcpy(a->mechanism, t->text, n) ;
  a->mechanism[n] = 0 ;
}

int spf_eval (spf_ctx *c, char const *domain, int wantexp, spf_answer *a)
{
  char rec[SPF_RECORD_MAX + 1] ;
  size_t reclen = 0, pos ;
  spf_term t, redirect, exp ;
  int hasredirect = 0, hasexp = 0 ;
  char const *why = 0 ;
  int r ;
  memset(&t, 0, sizeof(t)) ;
  memset(&redirect, 0, sizeof(redirect)) ;
  memset(&exp, 0, sizeof(exp)) ;
  if (!spf_domain_valid(domain)) return SPF_NONE ;
  r = fetch(c, domain, rec, &reclen) ;
  if (r >= 0) return r ;
  pos = 6 ;
  while ((r = spf_term_next(rec, reclen, &pos, &t, &why)) > 0)
  {
    if (t.kind == SPF_K_REDIRECT)
    {
      if (hasredirect++) return spf_fail(c, SPF_PERMERROR, "several redirect modifiers in the record of", domain) ;
      redirect = t ;
    }
    else if (t.kind == SPF_K_EXP)
    {
      if (hasexp++) return spf_fail(c, SPF_PERMERROR, "several exp modifiers in the record of", domain) ;
      exp = t ;
    }
  }
  if (r < 0) return spf_failn(c, SPF_PERMERROR, why, t.text, t.textlen) ;
  pos = 6 ;
  while (spf_term_next(rec, reclen, &pos, &t, &why) > 0)
  {
    int m ;
    if (t.kind >= SPF_K_REDIRECT) continue ;
    m = spf_mechanism(c, domain, &t) ;
    if (m < 0) return c->error ;
    if (!m) continue ;
    mechanism_name(a, &t) ;
    if (t.result == SPF_FAIL && wantexp && hasexp)
      spf_explain(c, domain, &exp, a->explanation, sizeof(a->explanation)) ;
    return t.result ;
  }
  if (hasredirect)
  {
    char target[DNS_NAME_MAX + 1] ;
    if (++c->lookups > SPF_LOOKUP_MAX)
      return spf_failn(c, SPF_PERMERROR, "more than 10 DNS-querying terms", redirect.text, redirect.textlen) ;
    r = spf_target(c, domain, redirect.spec, redirect.speclen, target) ;
    if (!r) return SPF_PERMERROR ;
    if (r < 0) return spf_failn(c, SPF_PERMERROR, "redirect to an invalid domain", redirect.text, redirect.textlen) ;
    r = spf_eval(c, target, wantexp, a) ;
    if (r == SPF_NONE) return spf_fail(c, SPF_PERMERROR, "redirect to a domain without an SPF record", target) ;
    return r ;
  }
  memcpy(a->mechanism, "default", 8) ;
  return SPF_NEUTRAL ;
}

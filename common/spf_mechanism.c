/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* The mechanisms of RFC 7208 §5. Each DNS-querying one (include, a, mx,
 * ptr, exists) counts towards the limit of 10 (§4.6.4); a lookup that
 * finds no name or no record of its type is a "void lookup", of which
 * more than 2 is a permerror. A target that expands to no valid name is
 * a term that cannot match (nothing is asked about it); for include it
 * is a permerror, as check_host() of it would give "none" (§5.2). */

static int addr_match (spf_ctx *c, dns_query const *q, unsigned int cidr4, unsigned int cidr6)
{
  size_t pos = 0, len ;
  char const *rdata ;
  unsigned int bytes = c->is6 ? 16 : 4 ;
  while (dns_record_next(q, &pos, &rdata, &len))
    if (len == bytes && spf_ip_match(c->ip, (unsigned char const *)rdata, c->is6 ? cidr6 : cidr4, bytes)) return 1 ;
  return 0 ;
}

static int void_lookup (spf_ctx *c, char const *name)
{
  if (++c->voids > SPF_VOID_MAX)
  {
    spf_fail(c, SPF_PERMERROR, "more than 2 void lookups", name) ;
    return -1 ;
  }
  return 0 ;
}

static int include (spf_ctx *c, char const *target)
{
  spf_answer sub ;
  int r ;
  memset(&sub, 0, sizeof(sub)) ;
  r = spf_eval(c, target, 0, &sub) ;
  switch (r)
  {
    case SPF_PASS : return 1 ;
    case SPF_FAIL :
    case SPF_SOFTFAIL :
    case SPF_NEUTRAL : return 0 ;
    case SPF_TEMPERROR : c->error = SPF_TEMPERROR ; return -1 ;
    case SPF_NONE : spf_fail(c, SPF_PERMERROR, "include of a domain without an SPF record", target) ; return -1 ;
    default : c->error = SPF_PERMERROR ; return -1 ;
  }
}

static int a_or_exists (spf_ctx *c, spf_term const *t, char const *target)
{
  dns_query q ;
  int r ;
  uint16_t type = t->kind == SPF_K_A && c->is6 ? DNS_T_AAAA : DNS_T_A ;
  dns_query_init(&q, target, type) ;
  spf_lookup(c, &q, 1) ;
  switch (q.status)
  {
    case DNS_OK :
      r = t->kind == SPF_K_EXISTS ? 1 : addr_match(c, &q, t->cidr4, t->cidr6) ;
      break ;
    case DNS_NXDOMAIN :
    case DNS_NODATA :
      r = void_lookup(c, target) ;
      break ;
    default :
      spf_fail(c, SPF_TEMPERROR, q.status == DNS_TIMEOUT ? "DNS timeout" : "DNS error", target) ;
      r = -1 ;
      break ;
  }
  dns_query_free(&q) ;
  return r ;
}

static int mx (spf_ctx *c, spf_term const *t, char const *target)
{
  char names[SPF_MX_MAX][DNS_NAME_MAX + 1] ;
  dns_query aq[SPF_MX_MAX] ;
  dns_query q ;
  unsigned int n = 0, temp = 0 ;
  size_t pos = 0, len ;
  char const *rdata ;
  int r = 0 ;
  dns_query_init(&q, target, DNS_T_MX) ;
  spf_lookup(c, &q, 1) ;
  switch (q.status)
  {
    case DNS_OK : break ;
    case DNS_NXDOMAIN :
    case DNS_NODATA :
      dns_query_free(&q) ;
      return void_lookup(c, target) ;
    default :
      dns_query_free(&q) ;
      spf_fail(c, SPF_TEMPERROR, q.status == DNS_TIMEOUT ? "DNS timeout" : "DNS error", target) ;
      return -1 ;
  }
  while (dns_record_next(&q, &pos, &rdata, &len))
  {
    char name[DNS_NAME_MAX + 1] ;
    if (len < 3 || !spf_name_unpack(rdata, len, 2, name) || !name[0]) continue ;   /* null MX (RFC 7505): no host */
    if (n == SPF_MX_MAX)
    {
      dns_query_free(&q) ;
      spf_fail(c, SPF_PERMERROR, "more than 10 MX names", target) ;
      return -1 ;
    }
    memcpy(names[n], name, DNS_NAME_MAX + 1) ;
    dns_query_init(&aq[n], names[n], c->is6 ? DNS_T_AAAA : DNS_T_A) ;
    n++ ;
  }
  dns_query_free(&q) ;
  if (!n) return 0 ;
  spf_lookup(c, aq, n) ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (aq[i].status == DNS_OK) { if (addr_match(c, &aq[i], t->cidr4, t->cidr6)) r = 1 ; }
    else if (aq[i].status != DNS_NXDOMAIN && aq[i].status != DNS_NODATA) temp = 1 ;
    dns_query_free(&aq[i]) ;
  }
  if (!r && temp)
  {
    spf_fail(c, SPF_TEMPERROR, "DNS error looking up an MX host of", target) ;
    return -1 ;
  }
  return r ;
}

static int ptr (spf_ctx *c, char const *target)
{
  if (!c->pstate) c->validate(c) ;
  if (c->pvoid && void_lookup(c, "PTR") < 0) return -1 ;
  for (unsigned int i = 0 ; i < c->pn ; i++)
    if (spf_name_within(c->pnames[i], target)) return 1 ;
  return 0 ;
}

int spf_mechanism (spf_ctx *c, char const *domain, spf_term const *t)
{
  char target[DNS_NAME_MAX + 1] ;
  switch (t->kind)
  {
    case SPF_K_ALL : return 1 ;
    case SPF_K_IP4 : return !c->is6 && spf_ip_match(c->ip, t->net, t->cidr4, 4) ;
    case SPF_K_IP6 : return c->is6 && spf_ip_match(c->ip, t->net, t->cidr6, 16) ;
    default : break ;
  }
  if (++c->lookups > SPF_LOOKUP_MAX)
  {
    spf_failn(c, SPF_PERMERROR, "more than 10 DNS-querying terms", t->text, t->textlen) ;
    return -1 ;
  }
  if (t->spec)
  {
    int r = spf_target(c, domain, t->spec, t->speclen, target) ;
    if (!r) { c->error = SPF_PERMERROR ; return -1 ; }
    if (r < 0)
    {
      if (t->kind != SPF_K_INCLUDE) return 0 ;
      spf_failn(c, SPF_PERMERROR, "include of an invalid domain", t->text, t->textlen) ;
      return -1 ;
    }
  }
  else
  {
    size_t n = strlen(domain) ;
    if (n > DNS_NAME_MAX) return 0 ;
    memcpy(target, domain, n + 1) ;
  }
  switch (t->kind)
  {
    case SPF_K_INCLUDE : return include(c, target) ;
    case SPF_K_A :
    case SPF_K_EXISTS : return a_or_exists(c, t, target) ;
    case SPF_K_MX : return mx(c, t, target) ;
    case SPF_K_PTR : return ptr(c, target) ;
    default : break ;
  }
  spf_fail(c, SPF_PERMERROR, "internal: unknown mechanism", 0) ;
  return -1 ;
}

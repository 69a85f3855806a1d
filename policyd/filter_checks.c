/* ISC license. */

/* The checks, in the order each needs the last:
 *  - SPF (RFC 7208) for the identity DMARC uses (RFC 7489 §4.1): the
 *    MAIL FROM domain, or the HELO name for the null sender;
 *  - DKIM (RFC 6376) on every signature;
 *  - ARC (RFC 8617) on the chain;
 *  - DMARC (RFC 7489) for every author domain, the strictest outcome
 *    kept (§6.6.1). */

#include <string.h>

#include <skalibs/strerr.h>

#include "filter.h"

static void spf_run (filter *f, dns *resolver, tain const *deadline)
{
  spf_query q = { .ip = f->ip, .helo = f->helo && *f->helo ? f->helo : 0, .sender = f->sender, .receiver = f->hostname } ;
  char const *at = f->sender && *f->sender ? strrchr(f->sender, '@') : 0 ;
  memset(&f->spf, 0, sizeof(f->spf)) ;
  if (!f->ip || !*f->ip) return ;   /* nothing to check against */
  if (!resolver)
  {
    f->spf.result = SPF_TEMPERROR ;
    f->spf.identity = at ? SPF_ID_MAILFROM : SPF_ID_HELO ;
    memcpy(f->spf.problem, "no DNS resolver", 16) ;
    f->spf_done = 1 ;
    return ;
  }
  if (at && at[1])
    spf_check_host(resolver, &q, at + 1, SPF_ID_MAILFROM, &f->spf, deadline) ;
  else if (q.helo)
    spf_check_host(resolver, &q, q.helo, SPF_ID_HELO, &f->spf, deadline) ;
  else return ;
  f->spf_done = 1 ;
}

static int dkim_auth (int result)
{
  return result == DKIM_PASS ? DMARC_AUTH_PASS : result == DKIM_TEMPERROR ? DMARC_AUTH_TEMPERROR : DMARC_AUTH_OTHER ;
}

/* RFC 9091 §2.1: a domain that answers NXDOMAIN or NODATA for A,
 * AAAA and MX does not exist; any other answer, or none in time, and
 * it may. */
static int nonexistent (dns *resolver, char const *name, tain const *deadline)
{
  dns_query q[3] ;
  static uint16_t const types[3] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX } ;
  int r = 1 ;
  if (!resolver) return 0 ;
  for (unsigned int i = 0 ; i < 3 ; i++) dns_query_init(q + i, name, types[i]) ;
  if (!dns_run(resolver, q, 3, deadline)) r = 0 ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    if (q[i].status != DNS_NXDOMAIN && q[i].status != DNS_NODATA) r = 0 ;
    dns_query_free(q + i) ;
  }
  return r ;
}

static void dmarc_run (filter *f, dns *resolver, filter_dns *fd)
{
  dmarc_auth spf = { .result = DMARC_AUTH_OTHER, .domain = 0 } ;
  dmarc_auth dkim[FILTER_DKIM_MAX] ;
  unsigned int nd = f->ndkim < FILTER_DKIM_MAX ? f->ndkim : FILTER_DKIM_MAX ;
  uint32_t sample = dmarc_sample(f->msg.s, f->msg.len) ;
  f->nfrom_domains = dmarc_from_domains(f->msg.s, f->msg.len, f->from, DMARC_FROM_DOMAINS_MAX, &f->nfrom_fields) ;
  if (!f->nfrom_domains) return ;
  if (f->spf_done)
  {
    spf.domain = f->spf.domain ;
    spf.result = f->spf.result == SPF_PASS ? DMARC_AUTH_PASS : f->spf.result == SPF_TEMPERROR ? DMARC_AUTH_TEMPERROR : DMARC_AUTH_OTHER ;
  }
  for (unsigned int i = 0 ; i < nd ; i++)
  {
    dkim[i].result = dkim_auth(f->dkim[i].result) ;
    dkim[i].domain = f->dkim[i].domain ;
  }
  for (unsigned int i = 0 ; i < f->nfrom_domains ; i++)
  {
    static dmarc_eval e ;
    if (!dmarc_evaluate(f->from[i], &spf, dkim, f->ndkim ? nd : 0, sample, &filter_dns_lookup, fd, &e))
      strerr_diefu2sys(111, "read the public suffix list ", "(PH_PSL_FILE)") ;
    if (e.result == DMARC_FAIL && e.lookup.at_org && e.lookup.rec.np && nonexistent(resolver, e.lookup.from_domain, &fd->deadline))
      dmarc_apply_np(&e, sample) ;
    if (!i || dmarc_stricter(&e, &f->dmarc)) f->dmarc = e ;
  }
  f->dmarc_done = 1 ;
}

void filter_check (filter *f, dns *resolver, filter_dns *fd, tain const *deadline)
{
  spf_run(f, resolver, deadline) ;
  if (!f->truncated)
  {
    if (!dkim_verify(f->msg.s, f->msg.len, &filter_dns_lookup, fd, f->now, f->dkim, FILTER_DKIM_MAX, &f->ndkim))
      strerr_diefu1sys(111, "verify DKIM signatures") ;
    if (!arc_verify(f->msg.s, f->msg.len, &filter_dns_lookup, fd, &f->arc))
      strerr_diefu1sys(111, "validate the ARC chain") ;
  }
  else
  {
    f->ndkim = 1 ;
    memset(f->dkim, 0, sizeof(f->dkim[0])) ;
    f->dkim[0].result = DKIM_NEUTRAL ;
    f->dkim[0].why = "message too large to verify" ;
    memset(&f->arc, 0, sizeof(f->arc)) ;
  }
  dmarc_run(f, resolver, fd) ;
}

/* ISC license. */

/* Evaluation, RFC 7489 §6.6.2 and §6.6.4:
 * - pass: an SPF pass whose domain aligns with the From domain (aspf),
 *   or a DKIM pass whose d= aligns (adkim);
 * - else temperror when an SPF or DKIM check that could have aligned
 *   ended in a temporary error (the outcome is unknown: never reject
 *   on it; RFC 8601 §2.7.5), or when discovery hit a DNS failure;
 * - else fail, and the policy is p=, sp= for a From domain below the
 *   organizational domain whose record applies (np=, RFC 9091, when
 *   the caller finds the From domain does not exist: dmarc_apply_np);
 * - pct= (§6.6.4): a message outside the sample gets the next policy
 *   down (reject → quarantine, quarantine → none), RFC 7489's reading
 *   (mox applies nothing). */

#include <string.h>

#include "common/dmarc.h"

static int stepdown (int p)
{
  return p == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE ;
}

int dmarc_evaluate (char const *from_domain, dmarc_auth const *spf, dmarc_auth const *dkim, unsigned int ndkim, uint32_t sample, dkim_lookup_fn *lookup, void *lctx, dmarc_eval *e)
{
  dmarc_record const *rec = &e->lookup.rec ;
  int temp = 0 ;
  memset(e, 0, sizeof(*e)) ;
  if (!dmarc_discover(from_domain, lookup, lctx, &e->lookup)) return 0 ;
  e->why = e->lookup.why ;
  e->disposition = DMARC_P_NONE ;
  switch (e->lookup.status)
  {
    case DMARC_PASS : break ;
    case DMARC_TEMPERROR : e->result = DMARC_TEMPERROR ; return 1 ;
    case DMARC_PERMERROR : e->result = DMARC_PERMERROR ; return 1 ;
    default : e->result = DMARC_NONE ; return 1 ;
  }
  e->policy = rec->p ;
  if (e->lookup.at_org && rec->sp) e->policy = rec->sp ;

  if (spf && spf->domain && *spf->domain)
  {
    int a = dmarc_aligned(spf->domain, e->lookup.from_domain, rec->aspf_strict) ;
    if (a < 0) return 0 ;
    if (a && spf->result == DMARC_AUTH_PASS) e->spf_aligned = 1 ;
    else if (a && spf->result == DMARC_AUTH_TEMPERROR) temp = 1 ;
  }
  for (unsigned int i = 0 ; i < ndkim ; i++)
  {
    int a ;
    if (!dkim[i].domain || !*dkim[i].domain) continue ;
    a = dmarc_aligned(dkim[i].domain, e->lookup.from_domain, rec->adkim_strict) ;
    if (a < 0) return 0 ;
    if (a && dkim[i].result == DMARC_AUTH_PASS)
    {
      if (!e->dkim_aligned)
      {
        size_t n = strlen(dkim[i].domain) ;
        if (n > DNS_NAME_MAX) n = DNS_NAME_MAX ;
        memcpy(e->dkim_domain, dkim[i].domain, n) ;
        e->dkim_domain[n] = 0 ;
      }
      e->dkim_aligned = 1 ;
    }
    else if (a && dkim[i].result == DMARC_AUTH_TEMPERROR) temp = 1 ;
  }
  if (e->spf_aligned || e->dkim_aligned) { e->result = DMARC_PASS ; return 1 ; }
  if (temp)
  {
    e->result = DMARC_TEMPERROR ;
    e->why = "an aligned identifier could not be checked now" ;
    return 1 ;
  }
  e->result = DMARC_FAIL ;
  e->disposition = e->policy ;
  if (sample >= rec->pct && e->disposition != DMARC_P_NONE)
  {
    e->sampled_out = 1 ;
    e->disposition = stepdown(e->disposition) ;
  }
  return 1 ;
}

static int rank (dmarc_eval const *e)
{
  switch (e->result)
  {
    case DMARC_FAIL : return 4 ;
    case DMARC_TEMPERROR : return 3 ;
    case DMARC_PERMERROR : return 2 ;
    case DMARC_NONE : return 1 ;
    default : return 0 ;
  }
}

void dmarc_apply_np (dmarc_eval *e, uint32_t sample)
{
  int np = e->lookup.rec.np ;
  if (!np || e->result != DMARC_FAIL || !e->lookup.at_org || e->lookup.status != DMARC_PASS) return ;
  e->policy = np ;
  e->disposition = np ;
  e->sampled_out = 0 ;
  e->np_applied = 1 ;
  if (sample >= e->lookup.rec.pct && np != DMARC_P_NONE)
  {
    e->sampled_out = 1 ;
    e->disposition = stepdown(np) ;
  }
}

int dmarc_stricter (dmarc_eval const *a, dmarc_eval const *b)
{
  if (a->disposition != b->disposition) return a->disposition > b->disposition ;
  return rank(a) > rank(b) ;
}

/* ISC license. */

/* Policy discovery, RFC 7489 §6.6.3: the TXT records at
 * _dmarc.<From domain>; records not starting with v=DMARC1 are
 * discarded; none left: the same at _dmarc.<organizational domain>
 * (when it differs); more than one left at a name: no policy (step 5).
 * A DNS failure is a temperror (§6.6.3 leaves it to the receiver;
 * RFC 8601 §2.7.5's "temperror"), never "no policy": a resolver
 * outage must not read as "this domain asks nothing". */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/dmarc.h"
#include "common/psl.h"

/* 1 found (l->rec), 0 none here, -1 temperror, -2 permerror */
static int at (char const *domain, dkim_lookup_fn *lookup, void *lctx, dmarc_lookup *l)
{
  char name[DNS_NAME_MAX + 8] ;
  stralloc recs = STRALLOC_ZERO ;
  char const *why = 0 ;
  size_t dl = strlen(domain), pos = 0 ;
  int n, found = 0, bad = 0 ;
  if (dl + 7 > DNS_NAME_MAX) return 0 ;
  memcpy(name, "_dmarc.", 7) ;
  memcpy(name + 7, domain, dl + 1) ;
  n = (*lookup)(lctx, name, &recs, &why) ;
  if (n < 0)
  {
    stralloc_free(&recs) ;
    l->why = why ? why : "DNS lookup failed" ;
    return -1 ;
  }
  for (int i = 0 ; i < n && pos < recs.len ; i++)
  {
    size_t rl = strlen(recs.s + pos) ;
    dmarc_record r ;
    char const *rwhy = 0 ;
    int p = dmarc_record_parse(&r, recs.s + pos, rl, &rwhy) ;
    pos += rl + 1 ;
    if (!p) continue ;
    if (++found == 1)
    {
      bad = p < 0 ;
      if (bad) l->why = rwhy ;
      else l->rec = r ;
    }
  }
  stralloc_free(&recs) ;
  if (!found) return 0 ;
  memcpy(l->policy_domain, domain, dl + 1) ;
  if (found > 1)
  {
    l->why = "several DMARC records" ;
    l->policy_domain[0] = 0 ;
    return 0 ;
  }
  return bad ? -2 : 1 ;
}

static int finish (dmarc_lookup *l, int r)
{
  switch (r)
  {
    case 1 : l->status = DMARC_PASS ; l->why = 0 ; break ;
    case -1 : l->status = DMARC_TEMPERROR ; break ;
    case -2 : l->status = DMARC_PERMERROR ; break ;
    default : l->status = DMARC_NONE ; break ;
  }
  return 1 ;
}

int dmarc_discover (char const *from_domain, dkim_lookup_fn *lookup, void *lctx, dmarc_lookup *l)
{
  int r, o ;
  memset(l, 0, sizeof(*l)) ;
  if (!psl_normalize(from_domain, l->from_domain))
  {
    l->why = "no valid From domain" ;
    return finish(l, 0) ;
  }
  o = psl_org_domain(l->from_domain, l->org_domain) ;
  if (o < 0) return 0 ;
  if (!o) l->org_domain[0] = 0 ;
  r = at(l->from_domain, lookup, lctx, l) ;
  if (r || !l->org_domain[0] || !strcmp(l->org_domain, l->from_domain)) return finish(l, r) ;
  /* "several records" at the From domain is "no policy" there: §6.6.3
   * step 5 goes on to the organizational domain only when none was found */
  if (l->why && !strcmp(l->why, "several DMARC records")) return finish(l, 0) ;
  r = at(l->org_domain, lookup, lctx, l) ;
  if (r) l->at_org = 1 ;
  return finish(l, r) ;
}

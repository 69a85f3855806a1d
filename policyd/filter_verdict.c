/* ISC license. */

/* From the results to a verdict (docs/filters.md), and what is kept:
 *  - DMARC fail with disposition reject: PH_DMARC_REJECT_ACTION, junk
 *    (default) or discard: a bounce would go to a forged sender, and
 *    refusing is smtpd's job at SMTP time;
 *  - quarantine: junk;
 *  - a DMARC failure whose chain of custody ARC vouches for (the chain
 *    passes and its newest sealer is in PH_ARC_TRUSTED_SEALERS:
 *    mailing lists we trust to have checked the original): delivered,
 *    reason trusted_forwarder (RFC 7489 §7.2 PolicyOverrideType,
 *    RFC 8617 §7.2);
 *  - DMARC temperror: delivered (the results say temperror), unless
 *    PH_AUTH_DEFER_TEMPERROR=1: then tempfail, and queued retries;
 *  - anything else: deliver. */

#include <string.h>
#include <strings.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "common/log.h"
#include "filter.h"

static int trusted_sealer (char const *domain)
{
  char const *list = config_get("PH_ARC_TRUSTED_SEALERS") ;
  size_t dl = strlen(domain) ;
  if (!list || !dl) return 0 ;
  while (*list)
  {
    size_t n = 0 ;
    while (*list == ',' || *list == ' ' || *list == '\t') list++ ;
    while (list[n] && list[n] != ',' && list[n] != ' ' && list[n] != '\t') n++ ;
    if (n == dl && !strncasecmp(list, domain, n)) return 1 ;
    list += n ;
  }
  return 0 ;
}

char const *filter_verdict (filter *f, char const **reason)
{
  dmarc_eval const *e = &f->dmarc ;
  int defer = 0 ;
  *reason = 0 ;
  if (!config_get_bool("PH_AUTH_DEFER_TEMPERROR", 0, &defer)) strerr_dief1x(100, "bad PH_AUTH_DEFER_TEMPERROR") ;
  if (!f->dmarc_done) return "deliver" ;
  if (e->result == DMARC_TEMPERROR)
  {
    *reason = "dmarc temperror" ;
    return defer ? "tempfail" : "deliver" ;
  }
  if (e->result != DMARC_FAIL || e->disposition == DMARC_P_NONE) return "deliver" ;
  if (f->arc.result == ARC_PASS && trusted_sealer(f->arc.domain))
  {
    f->override = "trusted_forwarder" ;
    *reason = "dmarc fail, arc pass from a trusted sealer" ;
    return "deliver" ;
  }
  if (e->disposition == DMARC_P_QUARANTINE)
  {
    *reason = "dmarc quarantine" ;
    return "junk" ;
  }
  {
    char const *action = config_get_default("PH_DMARC_REJECT_ACTION", "junk") ;
    *reason = "dmarc reject" ;
    if (!strcmp(action, "discard")) return "discard" ;
    if (strcmp(action, "junk")) strerr_dief1x(100, "PH_DMARC_REJECT_ACTION must be junk or discard") ;
    return "junk" ;
  }
}

void filter_report (filter const *f, char const *verdict)
{
  logline l ;
  char dk[FILTER_DKIM_MAX][16] ;
  char const *dd[FILTER_DKIM_MAX], *ds[FILTER_DKIM_MAX], *dr[FILTER_DKIM_MAX] ;
  unsigned int nd = f->ndkim < FILTER_DKIM_MAX ? f->ndkim : FILTER_DKIM_MAX ;
  log_begin(&l, "authres") ;
  log_kv(&l, "qid", f->qid) ;
  log_kv(&l, "ip", f->ip) ;
  log_kv(&l, "spf", f->spf_done ? spf_result_name(f->spf.result) : "none") ;
  log_kv(&l, "spf_domain", f->spf_done ? f->spf.domain : "") ;
  log_kv(&l, "dkim", f->ndkim ? dkim_result_str(f->dkim[0].result) : "none") ;
  log_kv(&l, "dkim_domain", f->ndkim ? f->dkim[0].domain : "") ;
  log_kv(&l, "arc", arc_result_str(f->arc.result)) ;
  log_kv(&l, "from", f->nfrom_domains ? f->from[0] : "") ;
  log_kv(&l, "dmarc", f->dmarc_done ? dmarc_result_str(f->dmarc.result) : "none") ;
  log_kv(&l, "disposition", f->dmarc_done ? dmarc_policy_str(f->dmarc.disposition ? f->dmarc.disposition : DMARC_P_NONE) : "none") ;
  if (f->override) log_kv(&l, "override", f->override) ;
  log_kv(&l, "verdict", verdict) ;
  log_commit(&l) ;

  /* aggregate-report data: only messages with a policy to report to */
  if (!f->dmarc_done || !f->dmarc.lookup.policy_domain[0]) return ;
  for (unsigned int i = 0 ; i < nd ; i++)
  {
    dd[i] = f->dkim[i].domain ;
    ds[i] = f->dkim[i].selector ;
    strncpy(dk[i], dkim_result_str(f->dkim[i].result), sizeof(dk[i]) - 1) ;
    dk[i][sizeof(dk[i]) - 1] = 0 ;
    dr[i] = dk[i] ;
  }
  {
    char const *state = config_get("PH_STATE") ;
    char const *at = f->sender ? strrchr(f->sender, '@') : 0 ;
    dmarc_report r =
    {
      .now = f->now, .qid = f->qid, .ip = f->ip,
      .envelope_from = at ? at + 1 : f->helo,
      .spf_domain = f->spf_done ? f->spf.domain : 0,
      .spf_scope = f->spf_done && f->spf.identity == SPF_ID_HELO ? "helo" : "mfrom",
      .spf_result = f->spf_done ? spf_result_name(f->spf.result) : "none",
      .dkim_domain = dd, .dkim_selector = ds, .dkim_result = dr, .ndkim = nd,
      .eval = &f->dmarc, .from_domain = f->from[0],
      .disposition = f->override ? "none" : 0,
      .reason = f->override
    } ;
    if (!state) log_event2("dmarc_report_skipped", "qid", f->qid, "reason", "PH_STATE unset") ;
    else if (!dmarc_report_append(state, &r)) log_event2("dmarc_report_failed", "qid", f->qid, "reason", "cannot append to $PH_STATE/dmarc") ;
  }
}

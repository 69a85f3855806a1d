/* ISC license. */

#include <string.h>

#include <skalibs/fmtscan.h>
#include <skalibs/strerr.h>
#include <skalibs/uint32.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/log.h"
#include "common/psl.h"
#include "policyd.h"
#include "spam.h"

/* The checks that ask the DNS, in two rounds of parallel queries under
 * one deadline (PH_SPAM_DNS_TIMEOUT_MS):
 *   1. the client's PTR; its address on each DNSBL and DNSWL zone
 *      (RFC 5782 §2.1, §2.4); each URL domain of the message on each
 *      URI list zone (§2.3: the Organizational Domain, as the SURBL and
 *      Spamhaus DBL lists expect, when the public suffix list is there;
 *      else the host name itself);
 *   2. the A (or AAAA) records of the PTR names: forward-confirmed
 *      reverse DNS (FCrDNS) holds when one of them is the client.
 * A lookup that fails or times out scores nothing: a DNS outage must
 * not make mail spam (nor ham). */

#define DNS_T_PTR 12
#define QUERIES_MAX (1 + 2 * SPAM_ZONES_MAX + SPAM_ZONES_MAX * SPAM_URIBL_DOMAINS_MAX)

typedef struct names_s names ;
struct names_s
{
  char s[QUERIES_MAX][DNS_NAME_MAX + 1] ;
} ;

static names qn ;
static dns_query q[QUERIES_MAX] ;
static char domains[SPAM_URIBL_DOMAINS_MAX][DNS_NAME_MAX + 1] ;

static unsigned int uribl_domains (bayes_tokens const *t)
{
  unsigned int n = 0 ;
  int havepsl = psl_load() ;
  for (size_t p = 0 ; p < t->domains.len && n < SPAM_URIBL_DOMAINS_MAX ; p += strlen(t->domains.s + p) + 1)
  {
    char d[PSL_NAME_MAX + 1] ;
    char const *host = t->domains.s + p ;
    int dup = 0 ;
    if (havepsl)
    {
      if (psl_org_domain(host, d) != 1) continue ;
    }
    else if (!psl_normalize(host, d)) continue ;
    for (unsigned int i = 0 ; i < n ; i++) if (!strcmp(domains[i], d)) dup = 1 ;
    if (dup) continue ;
    memcpy(domains[n++], d, strlen(d) + 1) ;
  }
  return n ;
}

static int same_ip (dns_query const *fq, char const *ip, unsigned int iplen)
{
  size_t pos = 0, len ;
  char const *rd ;
  if (fq->status != DNS_OK) return 0 ;
  while (dns_record_next(fq, &pos, &rd, &len))
    if (len == iplen && !memcmp(rd, ip, iplen)) return 1 ;
  return 0 ;
}

static void fcrdns (spam *s, dns *d, dns_query const *ptr, tain const *deadline)
{
  static char ptrnames[SPAM_PTR_MAX][DNS_NAME_MAX + 1] ;
  static dns_query fq[SPAM_PTR_MAX] ;
  char ip[16] ;
  unsigned int iplen = (unsigned int)spam_ip_parse(s->ip, ip), n = 0 ;
  size_t pos = 0, len ;
  char const *rd ;
  int confirmed = 0, unknown = 0 ;
  if (!iplen) return ;
  if (ptr->status == DNS_NXDOMAIN || ptr->status == DNS_NODATA) { spam_hit_add(s, "RDNS_NONE") ; return ; }
  if (ptr->status != DNS_OK) return ;
  while (n < SPAM_PTR_MAX && dns_record_next(ptr, &pos, &rd, &len))
    if (dns_name_unpack(rd, len, 0, ptrnames[n]) && ptrnames[n][0]) n++ ;
  if (!n) { spam_hit_add(s, "RDNS_NONE") ; return ; }
  for (unsigned int i = 0 ; i < n ; i++) dns_query_init(&fq[i], ptrnames[i], iplen == 4 ? DNS_T_A : DNS_T_AAAA) ;
  if (!dns_run(d, fq, n, deadline)) strerr_diefu1sys(111, "run the DNS queries") ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (same_ip(&fq[i], ip, iplen)) confirmed = 1 ;
    else if (fq[i].status == DNS_TIMEOUT || fq[i].status == DNS_TEMPFAIL) unknown = 1 ;
  }
  if (!confirmed && !unknown) spam_hit_add(s, "RDNS_MISMATCH") ;
  if (log_verbosity >= 2) log_event3("spam_fcrdns", "qid", s->qid, "ptr", ptrnames[0], "confirmed", confirmed ? "yes" : unknown ? "unknown" : "no") ;
  for (unsigned int i = 0 ; i < n ; i++) dns_query_free(&fq[i]) ;
}

static void logit (spam const *s, char const *what, char const *zone, char const *name, char const *code)
{
  logline l ;
  log_begin(&l, what) ;
  log_kv(&l, "qid", s->qid) ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "zone", zone) ;
  if (name) log_kv(&l, "domain", name) ;
  log_kv(&l, "code", code) ;
  log_commit(&l) ;
}

void spam_check_dns (spam_settings const *set, spam *s, bayes_tokens const *t)
{
  static dns resolver = DNS_ZERO ;
  unsigned int n = 0, iptr = QUERIES_MAX, bl0, wl0, ur0, ndom = 0 ;
  int haveip = s->ip && *s->ip ;
  tain deadline ;
  if (!haveip && !set->nuribl) return ;
  if (haveip && set->rdns)
  {
    char a[16] ;
    int len = spam_ip_parse(s->ip, a) ;
    if (len && spam_dnsbl_name(qn.s[n], s->ip, len == 4 ? "in-addr.arpa" : "ip6.arpa")) iptr = n++ ;
  }
  /* the client's address on each list: all of them or none */
  bl0 = n ;
  if (haveip && spam_dnsbl_name(qn.s[n], s->ip, "x"))
  {
    for (unsigned int i = 0 ; i < set->ndnsbl ; i++) if (spam_dnsbl_name(qn.s[n], s->ip, set->dnsbl[i].name)) n++ ; else qn.s[n++][0] = 0 ;
    wl0 = n ;
    for (unsigned int i = 0 ; i < set->ndnswl ; i++) if (spam_dnsbl_name(qn.s[n], s->ip, set->dnswl[i].name)) n++ ; else qn.s[n++][0] = 0 ;
  }
  else wl0 = n ;
  ur0 = n ;
  if (set->nuribl) ndom = uribl_domains(t) ;
  for (unsigned int z = 0 ; z < set->nuribl ; z++)
    for (unsigned int i = 0 ; i < ndom ; i++)
      if (!spam_uribl_name(qn.s[n], domains[i], set->uribl[z].name)) qn.s[n++][0] = 0 ;
      else n++ ;
  if (!n) return ;
  if (!policy_dns_init(&resolver))
  {
    log_event2("spam_dns_unavailable", "qid", s->qid, "reason", "resolver set-up failed") ;
    return ;
  }
  for (unsigned int i = 0 ; i < n ; i++) dns_query_init(&q[i], qn.s[i], i == iptr ? DNS_T_PTR : DNS_T_A) ;
  tain_now_g() ;
  {
    tain ms ;
    tain_from_millisecs(&ms, (int)set->dns_ms) ;
    tain_add_g(&deadline, &ms) ;
  }
  if (!dns_run(&resolver, q, n, &deadline)) strerr_diefu1sys(111, "run the DNS queries") ;

  for (unsigned int i = bl0 ; i < wl0 ; i++)
  {
    spam_zone const *z = &set->dnsbl[i - bl0] ;
    char code[16] ;
    if (!qn.s[i][0] || !spam_zone_listed(z, &q[i], code)) continue ;
    if (!s->dnsbl_zone[0]) memcpy(s->dnsbl_zone, z->name, strlen(z->name) + 1) ;
    if (z->has_score) spam_hit_add_score(s, "RCVD_IN_DNSBL", z->score) ; else spam_hit_add(s, "RCVD_IN_DNSBL") ;
    logit(s, "spam_dnsbl", z->name, 0, code) ;
  }
  for (unsigned int i = wl0 ; i < ur0 ; i++)
  {
    spam_zone const *z = &set->dnswl[i - wl0] ;
    char code[16] ;
    if (!qn.s[i][0] || !spam_zone_listed(z, &q[i], code)) continue ;
    if (z->has_score) spam_hit_add_score(s, "RCVD_IN_DNSWL", z->score) ; else spam_hit_add(s, "RCVD_IN_DNSWL") ;
    logit(s, "spam_dnswl", z->name, 0, code) ;
  }
  for (unsigned int z = 0 ; z < set->nuribl ; z++)
    for (unsigned int i = 0 ; i < ndom ; i++)
    {
      dns_query const *qq = &q[ur0 + z * ndom + i] ;
      char code[16] ;
      if (!qn.s[ur0 + z * ndom + i][0] || !spam_zone_listed(&set->uribl[z], qq, code)) continue ;
      if (set->uribl[z].has_score) spam_hit_add_score(s, "URIBL_LISTED", set->uribl[z].score) ; else spam_hit_add(s, "URIBL_LISTED") ;
      logit(s, "spam_uribl", set->uribl[z].name, domains[i], code) ;
      break ;   /* one hit per zone */
    }
  if (iptr < n) fcrdns(s, &resolver, &q[iptr], &deadline) ;
  for (unsigned int i = 0 ; i < n ; i++) dns_query_free(&q[i]) ;
  dns_free(&resolver) ;
}

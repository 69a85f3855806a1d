/* ISC license. */

#ifndef POSTHASTE_POLICYD_FILTER_H
#define POSTHASTE_POLICYD_FILTER_H

/* policyd-filter's state: the message, the envelope, and what each
 * check found. One message per process. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/arc.h"
#include "common/dkim.h"
#include "common/dmarc.h"
#include "common/dns.h"
#include "common/spf.h"

#define FILTER_DKIM_MAX 16      /* signatures reported (dkim_verify checks DKIM_SIGS_MAX) */
#define FILTER_EXTRA ((size_t)128 << 10)   /* fields the earlier filters added, over the size limit */

/* lookups for DKIM, ARC and DMARC: dkim_dns's cache, every lookup cut
 * to what is left before the deadline */
typedef struct filter_dns_s filter_dns ;
struct filter_dns_s
{
  dkim_dns cache ;
  unsigned int per_lookup_ms ;
  tain deadline ;
  int ok ;                 /* the resolver could be set up */
} ;

typedef struct filter_s filter ;
struct filter_s
{
  /* input */
  stralloc msg ;
  int truncated ;          /* over the bound: not verified */
  char const *qid ;
  char const *ip ;
  char const *helo ;
  char const *sender ;
  char const *hostname ;   /* our authserv-id */
  uint64_t now ;

  /* results */
  spf_answer spf ;
  int spf_done ;
  dkim_result dkim[FILTER_DKIM_MAX] ;
  unsigned int ndkim ;     /* signatures found (results kept: at most FILTER_DKIM_MAX) */
  arc_chain arc ;
  char from[DMARC_FROM_DOMAINS_MAX][DNS_NAME_MAX + 1] ;
  unsigned int nfrom_domains ;
  unsigned int nfrom_fields ;
  dmarc_eval dmarc ;       /* the strictest of the author domains */
  int dmarc_done ;
  char const *override ;   /* local policy turned a failure into delivery: why */
} ;

/* filter_input.c: reads stdin into f->msg, at most max bytes (then
 * f->truncated). Dies 111 on a read error. */
extern void filter_read (filter *f, size_t max) ;

/* filter_dns.c */
extern void filter_dns_init (filter_dns *fd, dns *resolver, unsigned int per_lookup_ms, unsigned int total_ms) ;
extern dkim_lookup_fn filter_dns_lookup ;

/* filter_checks.c: SPF, DKIM, ARC, DMARC, in that order. Dies 111 when
 * memory runs out or the public suffix list cannot be read. */
extern void filter_check (filter *f, dns *resolver, filter_dns *fd, tain const *deadline) ;

/* filter_authres.c: the Authentication-Results field (RFC 8601), folded,
 * LF line ends, and Received-SPF (RFC 7208 §9.1) when SPF ran. */
extern int filter_authres (stralloc *sa, filter const *f) ;

/* filter_verdict.c: the verdict word and its log text; also logs the
 * event and appends the aggregate-report line. */
extern char const *filter_verdict (filter *f, char const **reason) ;
extern void filter_report (filter const *f, char const *verdict) ;

#endif

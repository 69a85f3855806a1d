/* ISC license. */

#ifndef POSTHASTE_DMARC_H
#define POSTHASTE_DMARC_H

/* DMARC, RFC 7489 (with RFC 9091's np=): policy records, discovery,
 * identifier alignment, evaluation, and the per-message line kept for
 * aggregate reports (docs/dmarc.md says every choice made where the
 * RFC leaves one, and where OpenDMARC and mox differ).
 *
 * DNS goes through a dkim_lookup_fn (common/dkim.h): the same cached
 * TXT lookups DKIM uses, and a table in the tests. */

#include <stddef.h>
#include <stdint.h>

#include "common/dkim.h"

#define DMARC_RECORD_MAX 4096     /* one TXT record's text looked at */
#define DMARC_URIS_MAX 8          /* rua= / ruf= URIs kept */
#define DMARC_URI_MAX 256
#define DMARC_FROM_DOMAINS_MAX 8  /* author domains evaluated per message */

enum dmarc_policy_e
{
  DMARC_P_UNSET = 0,
  DMARC_P_NONE,
  DMARC_P_QUARANTINE,
  DMARC_P_REJECT
} ;
extern char const *dmarc_policy_str (int p) ;   /* "none", "quarantine", "reject"; "" unset */

/* RFC 8601 §2.7.5 words (dmarc_result_str). */
enum dmarc_res_e
{
  DMARC_NONE = 0,
  DMARC_PASS,
  DMARC_FAIL,
  DMARC_TEMPERROR,
  DMARC_PERMERROR
} ;
extern char const *dmarc_result_str (int res) ;

#define DMARC_FO_0 1
#define DMARC_FO_1 2
#define DMARC_FO_D 4
#define DMARC_FO_S 8

typedef struct dmarc_uri_s dmarc_uri, *dmarc_uri_ref ;
struct dmarc_uri_s
{
  char uri[DMARC_URI_MAX + 1] ;
  int mailto ;            /* usable for reports: the scheme is mailto */
  int has_size ;
  uint64_t size ;         /* the "!" limit, in units */
  char unit ;             /* 0 (bytes), 'k', 'm', 'g', 't' */
} ;

typedef struct dmarc_record_s dmarc_record, *dmarc_record_ref ;
struct dmarc_record_s
{
  int p ;                 /* never UNSET in a record that parsed */
  int sp ;                /* UNSET: as p */
  int np ;                /* UNSET: as sp (RFC 9091 §4.1) */
  int adkim_strict ;
  int aspf_strict ;
  unsigned int pct ;      /* 0..100, default 100 */
  uint32_t ri ;           /* default 86400 */
  unsigned int fo ;       /* DMARC_FO_*, default DMARC_FO_0 */
  int rf_afrf ;           /* rf= names afrf (the default) */
  unsigned int nrua ;
  unsigned int nruf ;
  dmarc_uri rua[DMARC_URIS_MAX] ;
  dmarc_uri ruf[DMARC_URIS_MAX] ;
  int p_fallback ;        /* no valid p= (or sp=/np=), a valid rua=: p=none (§6.6.3 step 6.1) */
  char const *ignored ;   /* the first tag whose value was ignored for a syntax error (§6.3), or 0 */
} ;

/* Parses one TXT record (RFC 7489 §6.3, §6.4). Returns
 *   1: a usable DMARC record, r filled;
 *   0: not a DMARC record: it does not start with "v=DMARC1" (§6.6.3:
 *      such records are discarded);
 *  -1: a DMARC record that cannot be used (*why): its tag list is
 *      malformed, or it has no valid p= and no valid rua= (§6.6.3 step
 *      6.2: no DMARC processing), a permerror. */
extern int dmarc_record_parse (dmarc_record *r, char const *s, size_t len, char const **why) ;

/* Alignment (§3.1): strict compares the names, relaxed their
 * Organizational Domains; a name that is a public suffix aligns with
 * nothing. Names are normalized (case, stray outer dots) first.
 * 1 aligned, 0 not, -1 the public suffix list cannot be loaded. */
extern int dmarc_aligned (char const *a, char const *b, int strict) ;

/* The author domains of a message's header section (§6.6.1): the
 * domains of the addresses of every From field, lower-cased, distinct,
 * at most DMARC_FROM_DOMAINS_MAX, each DNS_NAME_MAX + 1 bytes. Returns
 * how many (0: no From field or no address in it), and *nfrom the
 * number of From fields. */
extern unsigned int dmarc_from_domains (char const *msg, size_t len, char (*out)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nfrom) ;
/* The addresses of one From field value: appends their domains that
 * are not there yet to all[*nall..max), in order, and returns how many
 * addresses the value holds. Lenient where OpenDMARC's table is
 * (stray angle brackets, a leading "From:", a bare address after a
 * quoted display name): quoted strings and comments are skipped, the
 * value is split at the commas outside them, and each part's address
 * is its last "@" and the host name after it. Bounded by len. */
extern unsigned int dmarc_from_value (char const *s, size_t len, char (*all)[DNS_NAME_MAX + 1], unsigned int max, unsigned int *nall) ;

/* Discovery (§6.6.3): _dmarc.<from>, then _dmarc.<organizational
 * domain>. A name with several DMARC records has none. */
typedef struct dmarc_lookup_s dmarc_lookup, *dmarc_lookup_ref ;
struct dmarc_lookup_s
{
  int status ;                          /* DMARC_PASS: found; DMARC_NONE; DMARC_TEMPERROR; DMARC_PERMERROR */
  char const *why ;
  char from_domain[DNS_NAME_MAX + 1] ;
  char org_domain[DNS_NAME_MAX + 1] ;   /* "" when the From domain has none */
  char policy_domain[DNS_NAME_MAX + 1] ;/* where the record was found */
  int at_org ;                          /* found at the organizational domain, not at the From domain */
  dmarc_record rec ;
} ;
extern int dmarc_discover (char const *from_domain, dkim_lookup_fn *lookup, void *lctx, dmarc_lookup *l) ;

/* What evaluation takes: one SPF and the DKIM results, reduced to what
 * matters (RFC 7489 §4.2). */
#define DMARC_AUTH_OTHER 0
#define DMARC_AUTH_PASS 1
#define DMARC_AUTH_TEMPERROR 2
typedef struct dmarc_auth_s dmarc_auth, *dmarc_auth_ref ;
struct dmarc_auth_s
{
  int result ;            /* DMARC_AUTH_* */
  char const *domain ;    /* SPF: the domain checked; DKIM: d= */
} ;

typedef struct dmarc_eval_s dmarc_eval, *dmarc_eval_ref ;
struct dmarc_eval_s
{
  int result ;            /* enum dmarc_res_e */
  int policy ;            /* the policy that applies (p, sp or np); UNSET without a record */
  int disposition ;       /* DMARC_P_NONE, _QUARANTINE, _REJECT: what the receiver does */
  int sampled_out ;       /* pct= left this message out: one step lower (§6.6.4) */
  int np_applied ;        /* the policy is np= (RFC 9091): the From domain does not exist */
  int spf_aligned ;       /* an aligned SPF pass */
  int dkim_aligned ;      /* an aligned DKIM pass */
  char dkim_domain[DNS_NAME_MAX + 1] ;   /* the d= of the first aligned pass */
  char const *why ;
  dmarc_lookup lookup ;
} ;

/* Evaluates DMARC for one author domain. sample: 0..99, this message's
 * place for pct= (dmarc_sample). Returns 1, or 0 (errno: the public
 * suffix list cannot be loaded). */
extern int dmarc_evaluate (char const *from_domain, dmarc_auth const *spf, dmarc_auth const *dkim, unsigned int ndkim, uint32_t sample, dkim_lookup_fn *lookup, void *lctx, dmarc_eval *e) ;

/* RFC 9091 §4.1: for a failing message whose From domain lies below
 * the organizational domain whose record has np=, and does not exist
 * (NXDOMAIN or NODATA for A, AAAA and MX: the caller asks, RFC 9091
 * §2.1), np= replaces sp=; pct= applies as before. Does nothing in any
 * other case. */
extern void dmarc_apply_np (dmarc_eval *e, uint32_t sample) ;

/* The pct= sample of a message (§6.6.4 leaves the method open): the
 * SHA-256 of its Message-ID field value (the whole header section when
 * it has none), modulo 100, so a message always gets the same answer
 * (a retried filter, the tests); PH_DMARC_SAMPLE (0..99) overrides. */
extern uint32_t dmarc_sample (char const *msg, size_t len) ;

/* Of two evaluations (two author domains), which is stricter: the
 * higher disposition, then fail over temperror over permerror over
 * none over pass. */
extern int dmarc_stricter (dmarc_eval const *a, dmarc_eval const *b) ;

/* The aggregate report line (docs/dmarc.md), appended to
 * $PH_STATE/dmarc/<YYYY-MM-DD>.log (UTC) with one write(2) on an
 * O_APPEND descriptor. Returns 1, or 0 with errno. */
typedef struct dmarc_report_s dmarc_report, *dmarc_report_ref ;
struct dmarc_report_s
{
  uint64_t now ;               /* Unix time */
  char const *qid ;
  char const *ip ;
  char const *envelope_from ;  /* the MAIL FROM domain, or the HELO domain for <> */
  char const *spf_domain ;
  char const *spf_scope ;      /* "mfrom" or "helo" (RFC 7489 Appendix C, spfDomainScope) */
  char const *spf_result ;     /* RFC 7208 word */
  char const *const *dkim_domain ;
  char const *const *dkim_selector ;
  char const *const *dkim_result ;
  unsigned int ndkim ;
  dmarc_eval const *eval ;
  char const *from_domain ;
  char const *disposition ;    /* what was done, when local policy changed it; 0: the evaluation's */
  char const *reason ;         /* RFC 7489 Appendix C PolicyOverrideType (e.g. "trusted_forwarder"); 0: sampled_out or none */
} ;
extern int dmarc_report_line (stralloc *sa, dmarc_report const *r) ;
extern int dmarc_report_append (char const *statedir, dmarc_report const *r) ;

#endif

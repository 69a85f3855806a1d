/* ISC license. */

#ifndef POSTHASTE_SPF_H
#define POSTHASTE_SPF_H

/* Sender Policy Framework, RFC 7208: check_host() for the MAIL FROM
 * identity (or, for the null sender, postmaster@HELO) and for the HELO
 * identity (§2.3), with every mechanism and modifier, macro expansion
 * (§7), the limits of §4.6.4 (10 DNS-querying terms, 2 void lookups,
 * 10 MX / PTR names), exp= explanations (§6.2), all seven results.
 * DNS through common/dns.h (libunbound, PH_DNS_RESOLVER), every lookup
 * bound by the caller's deadline: a timeout is temperror, never a hang.
 * Used by policyd's two faces: the SMTP access policy server (at RCPT)
 * and the inbound content filter (Authentication-Results, DMARC). */

#include <stddef.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include "common/dns.h"

enum spf_result_e
{
  SPF_NONE = 0,
  SPF_NEUTRAL,
  SPF_PASS,
  SPF_FAIL,
  SPF_SOFTFAIL,
  SPF_TEMPERROR,
  SPF_PERMERROR
} ;

#define SPF_ID_MAILFROM 1
#define SPF_ID_HELO 2

#define SPF_TEXT_MAX 512

typedef struct spf_query_s spf_query, *spf_query_ref ;
struct spf_query_s
{
  char const *ip ;          /* the client's address, IPv4 or IPv6 text */
  char const *helo ;        /* HELO/EHLO argument, may be 0 */
  char const *sender ;      /* MAIL FROM address without <>, "" or 0 for the null sender */
  char const *receiver ;    /* our host name, for %{r} (RFC 7208 §7.2) */
} ;

typedef struct spf_answer_s spf_answer, *spf_answer_ref ;
struct spf_answer_s
{
  int result ;              /* enum spf_result_e */
  int identity ;            /* SPF_ID_MAILFROM or SPF_ID_HELO: which was checked */
  char domain[256] ;        /* the domain checked (lower-case) */
  char mechanism[128] ;     /* the term that matched, "default" if none */
  char explanation[SPF_TEXT_MAX] ;   /* fail: the exp= text (expanded, §6.2) or empty */
  char problem[SPF_TEXT_MAX] ;       /* temperror/permerror: why, for logs and the header comment */
} ;

/* check_host() for one identity: domain, with sender for the macros.
 * Returns the result (also in a->result). */
extern int spf_check_host (dns *d, spf_query const *q, char const *domain, int identity, spf_answer *a, tain const *deadline) ;

/* What a receiver does (RFC 7208 §2.3, §2.4): the HELO identity first
 * when it is a domain name; a HELO fail decides, a HELO pass decides
 * only for the null sender (a forger's own HELO domain must not vouch
 * for someone else's MAIL FROM domain); then MAIL FROM (postmaster@helo
 * for <>). Returns the result (also in a->result). */
extern int spf_check (dns *d, spf_query const *q, spf_answer *a, tain const *deadline) ;

extern char const *spf_result_name (int result) ;   /* "pass", "fail", ... as RFC 7208 §8 names them */

/* "Received-SPF:" field value (RFC 7208 §9.1) appended to sa, no CRLF. */
extern int spf_received_spf (stralloc *sa, spf_query const *q, spf_answer const *a) ;

#endif

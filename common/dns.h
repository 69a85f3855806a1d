/* ISC license. */

#ifndef POSTHASTE_DNS_H
#define POSTHASTE_DNS_H

/* DNS lookups through libunbound (link with -lunbound), every one bound
 * by a deadline: queries run in libunbound's resolver thread, answers
 * come back on ub_fd(), which dns_run() waits on with iopause; at the
 * deadline the queries still open are cancelled and marked DNS_TIMEOUT.
 * No alarm, no signal.
 *
 * Where the questions go (dns_init):
 *   PH_DNS_RESOLVER   "ip[@port]" forwarders, separated by commas or
 *                     spaces (tests: "127.0.0.1@5353"). With a
 *                     forwarder, unbound's built-in empty zone for the
 *                     reserved "test." TLD (RFC 6761) is made transparent,
 *                     so the forwarder is asked about .test names too.
 *   else              the nameservers of /etc/resolv.conf; with none
 *                     there, libunbound recurses from the root itself.
 *   PH_DNS_TRUST_ANCHOR  a DNSSEC trust anchor file (zone-file DS or
 *                     DNSKEY records, e.g. /usr/share/dns/root.key):
 *                     libunbound then validates, and dns_query.secure
 *                     says an answer was proven authentic (what DANE,
 *                     RFC 7672, needs instead of trusting a resolver's
 *                     AD bit: libunbound does not pass an upstream AD
 *                     bit through). Without it, secure is always 0.
 *
 * The code that calls libunbound (dns_ub.c) is compiled out under
 * PH_FUZZING: the fuzz build links every common object but not
 * -lunbound. A harness gets the pure helpers (names, MX rdata) only. */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_TLSA 52

/* A name in text form: at most 253 characters (no trailing dot), plus
 * the NUL. The root is "". */
#define DNS_NAME_MAX 253

#define DNS_ANSWER_MAX 65536   /* rdata bytes kept per query */

enum dns_status_e
{
  DNS_PENDING = 0,
  DNS_OK,        /* n >= 1 records in data */
  DNS_NODATA,    /* the name exists, no record of that type */
  DNS_NXDOMAIN,  /* the name does not exist (RFC 8020) */
  DNS_TEMPFAIL,  /* SERVFAIL, REFUSED, a resolver or network error */
  DNS_BOGUS,     /* DNSSEC validation failed (only with a trust anchor) */
  DNS_TIMEOUT    /* no answer before the deadline */
} ;

typedef struct dns_query_s dns_query, *dns_query_ref ;
struct dns_query_s
{
  char const *name ;   /* not copied: must outlive dns_run() */
  uint16_t type ;
  int status ;         /* enum dns_status_e */
  int secure ;         /* DNSSEC-validated answer (see PH_DNS_TRUST_ANCHOR) */
  int async_id ;
  int running ;
  unsigned int n ;     /* number of records */
  stralloc data ;      /* n records, each: 2-byte big-endian length, rdata */
  char const *why ;    /* static text describing a TEMPFAIL, or 0 */
  uint32_t ttl ;       /* the answer's TTL in seconds (for NXDOMAIN/NODATA, the negative TTL libunbound reports), 0 if unknown */
} ;
#define DNS_QUERY_ZERO { .name = 0, .type = 0, .status = DNS_PENDING, .secure = 0, .async_id = 0, .running = 0, .n = 0, .data = STRALLOC_ZERO, .why = 0, .ttl = 0 }

typedef struct dns_s dns, *dns_ref ;
struct dns_s
{
  void *ctx ;          /* struct ub_ctx * */
} ;
#define DNS_ZERO { .ctx = 0 }

/* Creates the resolver context from the environment (above). Returns 1,
 * or 0 with errno (EINVAL: a bad PH_DNS_RESOLVER; EIO: libunbound
 * refused the setting or the trust anchor). */
extern int dns_init (dns *) ;
extern void dns_free (dns *) ;

/* Prepares q for a question; name is not copied. */
extern void dns_query_init (dns_query *q, char const *name, uint16_t type) ;
extern void dns_query_free (dns_query *q) ;

/* Asks the n questions at once and returns when every one has its
 * answer, or at the deadline (the unanswered ones are cancelled and get
 * DNS_TIMEOUT). Returns 1, or 0 with errno on a system error (the
 * queries are cancelled then too). A name longer than DNS_NAME_MAX gets
 * DNS_NXDOMAIN without being asked. */
extern int dns_run (dns *, dns_query *q, unsigned int n, tain const *deadline) ;

/* Iterates over q's records: *pos starts at 0. Returns 1 and sets
 * *rdata and *len, or 0 when there are no more. */
extern int dns_record_next (dns_query const *q, size_t *pos, char const **rdata, size_t *len) ;

/* Decodes the uncompressed wire-format name at rdata[pos..len) into out
 * (DNS_NAME_MAX + 1 bytes): labels joined by dots, ASCII lower-cased, no
 * trailing dot ("" for the root). Refuses (returns 0) a name that runs
 * past len, a compression pointer, a label with a byte outside
 * [A-Za-z0-9_-] (host names, RFC 1123), or a name over DNS_NAME_MAX.
 * Returns the number of bytes the name takes in rdata. */
extern size_t dns_name_unpack (char const *rdata, size_t len, size_t pos, char *out) ;

/* An MX rdata (RFC 1035 3.3.9): 1 and *pref, exchange (DNS_NAME_MAX + 1
 * bytes; "" for the null MX of RFC 7505), or 0 if malformed. */
extern int dns_mx_unpack (char const *rdata, size_t len, uint16_t *pref, char *exchange) ;

/* A short name for a status: "ok", "nodata", "nxdomain", ... */
extern char const *dns_status_str (int status) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_SPF_INTERNAL_H
#define POSTHASTE_SPF_INTERNAL_H

/* The pieces of common/spf: the record parser (spf_term_next), macro
 * expansion (spf_expand), addresses (spf_ip_*), the evaluator
 * (spf_eval) and its DNS helpers. Records and macro strings come from
 * anyone's DNS: every buffer here is fixed-size and every loop is bound
 * by the input's length or by the limits of RFC 7208 §4.6.4. */

#include <stddef.h>
#include <sys/types.h>

#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/spf.h"

#define SPF_RECORD_MAX 8192     /* an SPF record longer than this is a permerror */
#define SPF_EXPAND_MAX 8192     /* one macro-string expanded (domain or exp text) */
#define SPF_LOOKUP_MAX 10       /* DNS-querying terms, §4.6.4 */
#define SPF_VOID_MAX 2          /* void lookups, §4.6.4 */
#define SPF_MX_MAX 10           /* MX names evaluated by one "mx", §4.6.4 */
#define SPF_PTR_MAX 10          /* PTR names evaluated, §4.6.4 */

enum spf_kind_e
{
  SPF_K_ALL = 1,
  SPF_K_INCLUDE,
  SPF_K_A,
  SPF_K_MX,
  SPF_K_PTR,
  SPF_K_IP4,
  SPF_K_IP6,
  SPF_K_EXISTS,
  SPF_K_REDIRECT,
  SPF_K_EXP,
  SPF_K_UNKNOWN            /* an unknown modifier: checked, then ignored (§6) */
} ;

/* One term of a record; pointers into the record, nothing copied. */
typedef struct spf_term_s spf_term ;
struct spf_term_s
{
  int kind ;               /* enum spf_kind_e */
  int result ;             /* the qualifier as a result (SPF_PASS for "+" or none) */
  char const *text ;       /* the whole term */
  size_t textlen ;
  char const *spec ;       /* domain-spec (mechanisms, redirect, exp) or macro-string (unknown modifier); 0 if absent */
  size_t speclen ;
  unsigned int cidr4 ;     /* 32 unless given */
  unsigned int cidr6 ;     /* 128 unless given */
  unsigned char net[16] ;  /* ip4 (4 bytes) or ip6 network */
} ;

/* A record is "v=spf1" then terms separated by spaces (§4.5, §12).
 * spf_record_select: 1 if s[0..len) is an SPF version 1 record. */
extern int spf_record_select (char const *s, size_t len) ;

/* Reads the next term of rec[0..len) from *pos (start at 6, after
 * "v=spf1"). Returns 1 and fills t, 0 at the end, -1 on a syntax error
 * (*why: a static reason). Every byte must be printable ASCII. */
extern int spf_term_next (char const *rec, size_t len, size_t *pos, spf_term *t, char const **why) ;

/* Syntax of a macro-string (§7.1): returns 1 if valid. With isexp, the
 * letters c, r, t are allowed (explanation text only, §7.2); *endexpand
 * (may be 0) tells whether the string ends with a macro-expand. */
extern int spf_macro_valid (char const *s, size_t len, int isexp, int *endexpand) ;

/* A client address: 4 bytes (IPv4, also for an IPv4-mapped IPv6
 * address) or 16. Returns 1, or 0 if s is not an address. */
extern int spf_ip_parse (char const *s, unsigned char *ip, int *is6) ;
/* 1 if the first bits of a and b are equal (bytes: 4 or 16). */
extern int spf_ip_match (unsigned char const *a, unsigned char const *b, unsigned int bits, unsigned int bytes) ;
/* The reverse lookup name (in-addr.arpa / ip6.arpa), DNS_NAME_MAX + 1. */
extern void spf_ip_revname (unsigned char const *ip, int is6, char *out) ;

/* §4.3: a domain check_host() may look up: at most 253 characters
 * (after removing one trailing dot), labels of 1 to 63 printable ASCII
 * characters, at least two labels. */
extern int spf_domain_valid (char const *s) ;

typedef struct spf_ctx_s spf_ctx ;
struct spf_ctx_s
{
  dns *d ;
  tain const *deadline ;
  spf_query const *q ;
  int is6 ;                          /* client is IPv6 (IPv4-mapped counts as IPv4) */
  int upper ;                        /* the address was written with upper-case hex */
  unsigned char ip[16] ;
  char const *local ;                /* <sender>'s local part */
  size_t locallen ;
  char const *sdomain ;              /* <sender>'s domain */
  size_t sdomainlen ;
  unsigned int lookups ;             /* DNS-querying terms so far */
  unsigned int voids ;               /* void lookups so far */
  int error ;                        /* SPF_TEMPERROR / SPF_PERMERROR when an evaluation step fails */
  int pstate ;                       /* validated names: 0 not yet, 1 done */
  int pvoid ;                        /* the PTR lookup itself was void */
  int ptemp ;                        /* the PTR lookup failed */
  unsigned int pn ;                  /* number of validated names */
  char pnames[SPF_PTR_MAX][DNS_NAME_MAX + 1] ;
  /* Fills pnames (§5.5): the DNS version is spf_ptr_validate; the fuzz
   * harness, which has no DNS, gives its own. */
  void (*validate) (spf_ctx *) ;
  char problem[SPF_TEXT_MAX] ;
} ;

/* Records why an evaluation ends in temperror or permerror (the first
 * reason counts) and returns the result. */
extern int spf_fail (spf_ctx *c, int result, char const *why, char const *what) ;
extern int spf_failn (spf_ctx *c, int result, char const *why, char const *what, size_t whatlen) ;

/* The character-strings of a TXT rdata joined without spaces (RFC 7208
 * §3.3) into out (max bytes, NUL-terminated). Returns the length, or -1
 * if the rdata is malformed or the text does not fit. */
extern ssize_t spf_txt_join (char const *rdata, size_t len, char *out, size_t max) ;

/* Expands the macro-string s[0..len) (§7) for the current domain into
 * out (max bytes, NUL-terminated, *outlen without the NUL). Returns 1, or
 * 0 (c->problem set) on a syntax error or an expansion over max - 1. */
extern int spf_expand (spf_ctx *c, char const *domain, char const *s, size_t len, int isexp, char *out, size_t max, size_t *outlen) ;

/* Expands a domain-spec into a name to look up (out: DNS_NAME_MAX + 1):
 * one trailing dot removed, left labels dropped until it fits 253
 * characters (§7.3). Returns 1, 0 for a permerror (c->problem set), or
 * -1 when the result is no valid domain name (empty or over-long label). */
extern int spf_target (spf_ctx *c, char const *domain, char const *spec, size_t speclen, char *out) ;

/* DNS for the evaluator: runs the n queries before c->deadline. A
 * system error marks them DNS_TEMPFAIL. */
extern void spf_lookup (spf_ctx *c, dns_query *q, unsigned int n) ;

/* §5.5 / §7.3 validated names of the client, by DNS (PTR then A/AAAA). */
extern void spf_ptr_validate (spf_ctx *c) ;
/* The %{p} value for the current domain: "unknown" if none. */
extern char const *spf_ptr_pick (spf_ctx *c, char const *domain) ;
/* A name from MX or PTR rdata (spf_name_unpack.c): any printable ASCII
 * label; out is DNS_NAME_MAX + 1 bytes. Returns the bytes used, or 0. */
extern size_t spf_name_unpack (char const *rdata, size_t len, size_t pos, char *out) ;

/* 1 if name is target or a subdomain of it (ASCII case ignored). */
extern int spf_name_within (char const *name, char const *target) ;

/* One mechanism: 1 match, 0 no match, -1 error (c->error set). */
extern int spf_mechanism (spf_ctx *c, char const *domain, spf_term const *t) ;

/* check_host() itself (§4): the record of domain, evaluated; the
 * explanation of a fail computed when wantexp. */
extern int spf_eval (spf_ctx *c, char const *domain, int wantexp, spf_answer *a) ;

/* exp= (§6.2): the explanation text for a fail, or "" when the exp
 * target gives none. */
extern void spf_explain (spf_ctx *c, char const *domain, spf_term const *exp, char *out, size_t max) ;

/* Sets up c for one check_host() of identity over q. Returns 1, or 0 if
 * q->ip is no address. */
extern int spf_ctx_init (spf_ctx *c, dns *d, spf_query const *q, int identity, tain const *deadline) ;

#endif

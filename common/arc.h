/* ISC license. */

#ifndef POSTHASTE_ARC_H
#define POSTHASTE_ARC_H

/* ARC, RFC 8617: chain validation (§5.2) on inbound mail, and sealing
 * (§5.1) of mail we pass on. The crypto, canonicalization and header
 * hash are common/dkim's (through common/dkim_ext.h); keys are fetched
 * with a dkim_lookup_fn, like DKIM's.
 *
 * Every parser here reads untrusted header fields: bounded by
 * DKIM_FIELD_MAX per field, DKIM_HEADERS_MAX fields, ARC_INSTANCES_MAX
 * sets (tests/fuzz/arc_headers.c). */

#include <stddef.h>
#include <stdint.h>

#include <skalibs/stralloc.h>

#include "common/dkim.h"

#define ARC_INSTANCES_MAX 50     /* §4.2.1: i= is 1 to 50 */

enum arc_res_e
{
  ARC_NONE = 0,     /* no ARC set */
  ARC_PASS,
  ARC_FAIL
} ;
extern char const *arc_result_str (int res) ;   /* "none", "pass", "fail" */

#define ARC_KIND_AAR 0   /* ARC-Authentication-Results */
#define ARC_KIND_AMS 1   /* ARC-Message-Signature */
#define ARC_KIND_AS 2    /* ARC-Seal */

/* A parsed ARC-Message-Signature or ARC-Seal (§4.1.2, §4.1.3). */
typedef struct arc_sig_s arc_sig, *arc_sig_ref ;
struct arc_sig_s
{
  int kind ;                          /* ARC_KIND_AMS or ARC_KIND_AS */
  unsigned int instance ;             /* i= */
  int alg ;                           /* DKIM_ALG_* */
  int hcanon ;                        /* AMS: c=; AS: always relaxed (§5.1.1) */
  int bcanon ;
  int cv ;                            /* AS: ARC_NONE, ARC_PASS, ARC_FAIL */
  char domain[DNS_NAME_MAX + 1] ;
  char selector[DNS_NAME_MAX + 1] ;
  unsigned char b[DKIM_SIGBYTES_MAX] ;
  size_t blen ;
  unsigned char bh[64] ;              /* AMS */
  size_t bhlen ;
  unsigned int nh ;                   /* AMS: h= names, offsets into the field */
  dkim_hname h[DKIM_HLIST_MAX] ;
  size_t bstart ;                     /* the b= value in the field */
  size_t bend ;
} ;

/* field: a whole header field (name to last byte, no final line
 * break), of the given kind. 1, or 0 with *why. */
extern int arc_sig_parse (arc_sig *s, int kind, char const *field, size_t len, char const **why) ;

/* The instance of an ARC-Authentication-Results field (§4.1.1: the
 * value starts with "i=" 1*2DIGIT ";"). 1 and *instance, *payload (the
 * offset in the field of what follows the ";": the authserv-id and
 * results), or 0. */
extern int arc_aar_parse (char const *field, size_t len, unsigned int *instance, size_t *payload) ;

/* Which ARC field a header field is: ARC_KIND_*, or -1. */
extern int arc_field_kind (char const *msg, dkim_field const *f) ;

/* The fields of each set: index into the split fields, or (size_t)-1. */
typedef struct arc_set_s arc_set ;
struct arc_set_s
{
  size_t aar ;
  size_t ams ;
  size_t as ;
} ;

typedef struct arc_chain_s arc_chain, *arc_chain_ref ;
struct arc_chain_s
{
  int result ;                  /* ARC_NONE, ARC_PASS, ARC_FAIL */
  char const *why ;             /* static text for a fail, 0 otherwise */
  unsigned int n ;              /* instances found (the highest i=) */
  unsigned int oldest_pass ;    /* §5.2 step 5: the oldest instance whose AMS still verifies, 0 when every one does */
  int temperror ;               /* a key could not be fetched now: result is ARC_FAIL, why says so */
  char domain[DNS_NAME_MAX + 1] ;     /* d= of the newest ARC-Seal */
  char selector[DNS_NAME_MAX + 1] ;   /* s= of the newest ARC-Seal */
  char aar_authserv[DNS_NAME_MAX + 1] ;   /* the authserv-id of the newest AAR */
} ;

/* §5.2: validates the message's chain. Returns 1 (c filled), or 0 with
 * errno on a system error (ENOMEM). */
extern int arc_verify (char const *msg, size_t len, dkim_lookup_fn *lookup, void *lctx, arc_chain *c) ;

/* Sealing (§5.1): adds set i = n + 1 for a message whose chain
 * validated as cv (ARC_NONE when it has no set, ARC_PASS, ARC_FAIL):
 * appends to out, each field folded and ended with eol, in this order,
 * the ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results
 * fields, ready to be put on top of the message. authres: the
 * Authentication-Results payload of this hop ("authserv-id; spf=pass
 * ..."), copied into the AAR. The AMS signs ARC_AMS_HEADERS (those
 * present), relaxed/relaxed; t= is now. Returns 1, or 0 with *why (the
 * chain already has ARC_INSTANCES_MAX sets, too many fields, a crypto
 * error). A chain that failed is sealed with cv=fail (§5.1.2) and
 * nothing more is ever added after such a set by a conforming sealer. */
#define ARC_AMS_HEADERS "from:to:cc:subject:date:message-id:reply-to:in-reply-to:references:mime-version:content-type:content-transfer-encoding:dkim-signature"
extern int arc_seal (stralloc *out, char const *msg, size_t len, dkim_signkey const *key, int cv, char const *authres, uint64_t now, char const *eol, char const **why) ;

/* What a sealer takes cv from when it does not validate the chain
 * itself: the arc= result in the topmost Authentication-Results field
 * whose authserv-id is authserv (our own, which the inbound filter
 * wrote and which no sender can forge: the filter removes such fields
 * from outside). Returns ARC_PASS, ARC_FAIL or ARC_NONE (no such field
 * or no arc= in it), and copies that field's payload into authres. */
extern int arc_cv_from_authres (char const *msg, size_t len, char const *authserv, stralloc *authres) ;

#endif

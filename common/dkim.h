/* ISC license. */

#ifndef POSTHASTE_DKIM_H
#define POSTHASTE_DKIM_H

/* DKIM (RFC 6376), with ed25519-sha256 (RFC 8463) and the RFC 8301
 * crypto update: canonicalization, tag lists, DKIM-Signature fields,
 * key records, signing and verification.
 *
 * Messages are given whole, in memory, with LF or CRLF line ends (the
 * queue's form is LF): a line break is LF, optionally preceded by CR; a
 * CR not followed by LF is an ordinary byte. Canonicalization always
 * produces CRLF, as if the message were on the wire.
 *
 * Every reader of untrusted bytes here is bounded by the limits below;
 * over a limit, the answer is an error result, never a crash.
 *
 * Crypto is OpenSSL 3 EVP. The verifier holds no private key; only
 * dkim_sign and dkim_privkey_parse touch one. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/dns.h"

#define DKIM_HEADERS_MAX 1000        /* header fields looked at */
#define DKIM_FIELD_MAX 65536         /* bytes of one header field */
#define DKIM_SIGS_MAX 8              /* signatures verified per message */
#define DKIM_TAGS_MAX 64             /* tags in one tag list */
#define DKIM_HLIST_MAX 128           /* names in an h= list */
#define DKIM_BODY_MAX ((size_t)64 << 20)   /* bytes of message verified or signed */
#define DKIM_SIGBYTES_MAX 1024       /* b= of an RSA-8192 signature */
#define DKIM_KEYBYTES_MAX 2048       /* decoded p= */
#define DKIM_RECORD_MAX 4096         /* one key record's text */
#define DKIM_AUID_MAX 512            /* i= */
#define DKIM_RSA_BITS_MIN 1024       /* RFC 8301 §3.2: shorter keys fail */
#define DKIM_RSA_BITS_MAX 8192

enum dkim_alg_e
{
  DKIM_ALG_NONE = 0,
  DKIM_ALG_RSA_SHA256,
  DKIM_ALG_ED25519_SHA256,
  DKIM_ALG_RSA_SHA1       /* parsed, never accepted (RFC 8301 §3.1) */
} ;

enum dkim_canon_e
{
  DKIM_CANON_SIMPLE = 0,
  DKIM_CANON_RELAXED
} ;

/* RFC 8601 §2.7.1 words (dkim_result_str). */
enum dkim_res_e
{
  DKIM_NONE = 0,     /* the message has no signature */
  DKIM_PASS,
  DKIM_FAIL,         /* the signature does not verify, or is refused (why) */
  DKIM_NEUTRAL,      /* not checked: over the size bound (why) */
  DKIM_TEMPERROR,    /* the key could not be fetched now */
  DKIM_PERMERROR,    /* malformed signature or key record, no key, revoked key */
  DKIM_POLICY        /* not checked: over DKIM_SIGS_MAX signatures */
} ;
extern char const *dkim_result_str (int res) ;

/* Canonicalization output goes to a sink. */
typedef void dkim_sink (void *ctx, char const *s, size_t len) ;

/* One header field, whole: field[0..len) from its name to its last
 * byte, without the line break that ends it (folding line breaks
 * inside are kept). Appends the canonical form to the sink, followed by
 * CRLF when crlf (RFC 6376 §3.4.1, §3.4.2). */
extern void dkim_canon_header (int canon, char const *field, size_t len, int crlf, dkim_sink *put, void *ctx) ;

/* The body, streamed (RFC 6376 §3.4.3, §3.4.4). */
typedef struct dkim_body_s dkim_body, *dkim_body_ref ;
struct dkim_body_s
{
  dkim_sink *put ;
  void *ctx ;
  uint64_t empties ;     /* empty lines held back (they may be trailing) */
  unsigned int relaxed : 1 ;
  unsigned int cr : 1 ;        /* a CR was seen, the next byte decides */
  unsigned int wsp : 1 ;       /* relaxed: WSP held back in this line */
  unsigned int content : 1 ;   /* this line has content already */
  unsigned int any : 1 ;       /* something was written */
  size_t n ;
  char buf[4096] ;
} ;
extern void dkim_body_init (dkim_body *, int canon, dkim_sink *put, void *ctx) ;
extern void dkim_body_update (dkim_body *, char const *s, size_t len) ;
extern void dkim_body_final (dkim_body *) ;

/* Tag lists (RFC 6376 §3.2), strictly: tag names ALPHA *(ALNUM / "_"),
 * values of VALCHAR with inner FWS, no empty tag-spec but a final ";",
 * no tag twice. Offsets are into the parsed string. */
typedef struct dkim_tag_s dkim_tag, *dkim_tag_ref ;
struct dkim_tag_s
{
  size_t name ;
  size_t namelen ;
  size_t value ;      /* the value, trailing FWS excluded */
  size_t valuelen ;
  size_t after ;      /* just after the "=" */
  size_t end ;        /* the ";" that ends the spec, or the end */
} ;
typedef struct dkim_tags_s dkim_tags, *dkim_tags_ref ;
struct dkim_tags_s
{
  unsigned int n ;
  dkim_tag tag[DKIM_TAGS_MAX] ;
} ;
/* 1, or 0 with *why. */
extern int dkim_tags_parse (dkim_tags *t, char const *s, size_t len, char const **why) ;
extern dkim_tag const *dkim_tags_get (dkim_tags const *t, char const *s, char const *name) ;

/* Base64 (RFC 4648) ignoring FWS, strict padding; 1 and *outlen, or 0
 * (bad character, bad padding, longer than max). */
extern int dkim_b64_decode (char const *s, size_t len, unsigned char *out, size_t max, size_t *outlen) ;
extern int dkim_b64_encode (stralloc *sa, unsigned char const *s, size_t len) ;

/* A parsed DKIM-Signature (RFC 6376 §3.5). */
typedef struct dkim_hname_s dkim_hname ;
struct dkim_hname_s
{
  size_t off ;        /* into the field */
  size_t len ;
} ;
typedef struct dkim_sig_s dkim_sig, *dkim_sig_ref ;
struct dkim_sig_s
{
  int alg ;
  int hcanon ;
  int bcanon ;
  char domain[DNS_NAME_MAX + 1] ;    /* d=, lower-cased */
  char selector[DNS_NAME_MAX + 1] ;  /* s= */
  char auid[DKIM_AUID_MAX + 1] ;     /* i=, or "@" d= */
  char const *auid_domain ;          /* into auid, after the last "@" */
  unsigned char b[DKIM_SIGBYTES_MAX] ;
  size_t blen ;
  unsigned char bh[64] ;
  size_t bhlen ;
  int has_l ;
  uint64_t l ;
  int has_t ;
  uint64_t t ;
  int has_x ;
  uint64_t x ;
  unsigned int nh ;
  dkim_hname h[DKIM_HLIST_MAX] ;
  size_t bstart ;     /* the b= value region in the field, deleted when hashing */
  size_t bend ;
  char bprefix[9] ;   /* header.b (RFC 6008): the first 8 characters of b= */
} ;
/* field: a whole DKIM-Signature field (dkim_canon_header's form).
 * 1, or 0 with *why (a permerror). */
extern int dkim_sig_parse (dkim_sig *sig, char const *field, size_t len, char const **why) ;

/* A parsed key record (RFC 6376 §3.6.1). */
typedef struct dkim_key_s dkim_key, *dkim_key_ref ;
struct dkim_key_s
{
  int ktype ;           /* DKIM_ALG_RSA_SHA256 for k=rsa, DKIM_ALG_ED25519_SHA256 for k=ed25519 */
  int sha256_ok ;       /* h= absent or lists sha256 */
  int testing ;         /* t=y */
  int strict ;          /* t=s: i= must be in d= exactly */
  unsigned int bits ;
  EVP_PKEY *pkey ;
} ;
/* 1 (free k->pkey with dkim_key_free), or 0 with *why (a permerror:
 * the record is malformed; an empty p= is "key revoked"), or -1 with
 * *why: the record is well-formed, its p= is proper base64, but the key
 * in it cannot be used (a fail, as a wrong key would be; k->ktype is
 * set). */
extern int dkim_key_parse (dkim_key *k, char const *rec, size_t len, char const **why) ;
extern void dkim_key_free (dkim_key *k) ;

/* A message split into header fields. */
typedef struct dkim_field_s dkim_field, *dkim_field_ref ;
struct dkim_field_s
{
  size_t off ;        /* into the message */
  size_t len ;        /* without the final line break */
  size_t namelen ;    /* before the ":" and any WSP before it; 0: no ":" */
} ;
/* Fills fields (dkim_field) and *body (offset of the body). Returns 1,
 * or 0 with *why: over DKIM_HEADERS_MAX fields or DKIM_FIELD_MAX bytes. */
extern int dkim_split (char const *msg, size_t len, genalloc *fields, size_t *body, char const **why) ;
/* Is the field's name `name`, ignoring case? */
extern int dkim_field_is (char const *msg, dkim_field const *f, char const *name, size_t namelen) ;

/* Adds the canonical header fields named by h= (RFC 6376 §5.4.2: each
 * name takes the last instance not yet taken, counting from the bottom;
 * none left adds nothing) to md. names[i] is a name of lens[i] bytes. */
extern int dkim_hash_headers (EVP_MD_CTX *md, char const *msg, dkim_field const *fields, size_t nfields, char const *const *names, size_t const *lens, unsigned int n, int canon) ;

/* The canonical body's SHA-256 (into out[32]) over at most limit bytes
 * (UINT64_MAX: no limit); *total gets the canonical length. 1, or 0 on
 * an OpenSSL error. */
extern int dkim_body_hash (char const *body, size_t len, int canon, uint64_t limit, unsigned char *out, uint64_t *total) ;

/* Key lookup: the TXT records at name, each as one string (its
 * character-strings joined), each followed by '\0', appended to records.
 * Returns the number of records (0: NXDOMAIN or none), or -1: temporary
 * failure (*why). */
typedef int dkim_lookup_fn (void *ctx, char const *name, stralloc *records, char const **why) ;

typedef struct dkim_result_s dkim_result, *dkim_result_ref ;
struct dkim_result_s
{
  int result ;
  char const *why ;            /* static text, 0 for a plain pass */
  int alg ;
  char domain[DNS_NAME_MAX + 1] ;
  char selector[DNS_NAME_MAX + 1] ;
  char auid[DKIM_AUID_MAX + 1] ;
  char bprefix[9] ;
  unsigned int bits ;          /* of the key, when it was fetched */
  int testing ;                /* the key record says t=y */
  int unsigned_body ;          /* l= left content after it unsigned */
} ;

/* Verifies every DKIM-Signature of the message, in header order (top
 * first), the first DKIM_SIGS_MAX of them; the ones after get
 * DKIM_POLICY. res has room for max results; *n gets the number of
 * signatures found (a message with none: 0, and its result is
 * DKIM_NONE). now: Unix time for x=. Returns 1, or 0 with errno on a
 * system error (ENOMEM). */
extern int dkim_verify (char const *msg, size_t len, dkim_lookup_fn *lookup, void *lctx, uint64_t now, dkim_result *res, unsigned int max, unsigned int *n) ;

/* Signing. */
typedef struct dkim_signkey_s dkim_signkey, *dkim_signkey_ref ;
struct dkim_signkey_s
{
  EVP_PKEY *pkey ;
  int alg ;                 /* DKIM_ALG_RSA_SHA256 or DKIM_ALG_ED25519_SHA256 */
  char const *domain ;
  char const *selector ;
} ;
typedef struct dkim_signopts_s dkim_signopts, *dkim_signopts_ref ;
struct dkim_signopts_s
{
  int hcanon ;
  int bcanon ;
  uint64_t t ;              /* t= */
  uint64_t expire ;         /* x = t + expire; 0: no x= */
  char const *auid ;        /* i=, or 0 */
  char const *eol ;         /* the line break of the field: "\n" or "\r\n" */
} ;
/* Appends the whole DKIM-Signature field, folded, ending with eol, to
 * out. 1, or 0 with *why (no From field, too many fields, a crypto
 * error). */
extern int dkim_sign (stralloc *out, char const *msg, size_t len, dkim_signkey const *key, dkim_signopts const *o, char const **why) ;

/* Reads a private key: PEM (PKCS#1 or PKCS#8, RSA or Ed25519), or one
 * line of base64 holding a raw Ed25519 key of 32 bytes (the seed) or 64
 * (seed and public key, libsodium's and rspamd's form). Sets *alg.
 * Returns the key, or 0. */
extern EVP_PKEY *dkim_privkey_parse (char const *s, size_t len, int *alg) ;
/* The public half as a key record's p= value (base64 of the
 * SubjectPublicKeyInfo for RSA, of the 32 raw bytes for Ed25519). */
extern int dkim_pubkey_b64 (stralloc *sa, EVP_PKEY *pkey, int alg) ;

/* Key lookups through common/dns.h with a small cache: lctx is a
 * dkim_dns. Answers are kept for their TTL, at most DKIM_CACHE_TTL_MAX
 * seconds (DKIM_CACHE_TTL_DEFAULT when the resolver does not report
 * the TTL); temporary failures are not kept. */
#define DKIM_CACHE_SIZE 64
#define DKIM_CACHE_TTL_MAX 3600
#define DKIM_CACHE_TTL_DEFAULT 60
typedef struct dkim_cache_entry_s dkim_cache_entry ;
struct dkim_cache_entry_s
{
  char name[DNS_NAME_MAX + 1] ;
  int count ;               /* records; 0 for none */
  uint64_t expires ;        /* Unix time */
  size_t len ;
  char text[DKIM_RECORD_MAX] ;
} ;
typedef struct dkim_dns_s dkim_dns, *dkim_dns_ref ;
struct dkim_dns_s
{
  dns *resolver ;
  unsigned int timeout_ms ;   /* per lookup */
  unsigned int hits ;
  unsigned int misses ;
  dkim_cache_entry cache[DKIM_CACHE_SIZE] ;
} ;
extern void dkim_dns_init (dkim_dns *, dns *resolver, unsigned int timeout_ms) ;
extern dkim_lookup_fn dkim_dns_lookup ;
/* The cache alone (used by dkim_dns_lookup; exposed for the tests). */
extern int dkim_cache_get (dkim_dns *, char const *name, uint64_t now, stralloc *records) ;
extern void dkim_cache_put (dkim_dns *, char const *name, int count, char const *text, size_t len, uint64_t now, uint32_t ttl) ;
/* TXT rdata (RFC 1035 §3.3.14) to one string; 0 if malformed. */
extern int dkim_txt_join (char const *rdata, size_t len, stralloc *out) ;

#endif

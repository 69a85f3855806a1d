/* ISC license. */

/* Verification, RFC 6376 §6, with RFC 8301 (no rsa-sha1, no RSA key
 * under 1024 bits) and RFC 8463 (ed25519-sha256). */

#include <string.h>
#include <errno.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/dkim-internal.h"

char const *dkim_result_str (int res)
{
  switch (res)
  {
    case DKIM_NONE : return "none" ;
    case DKIM_PASS : return "pass" ;
    case DKIM_FAIL : return "fail" ;
    case DKIM_NEUTRAL : return "neutral" ;
    case DKIM_TEMPERROR : return "temperror" ;
    case DKIM_PERMERROR : return "permerror" ;
    case DKIM_POLICY : return "policy" ;
    default : return "unknown" ;
  }
}

static int set (dkim_result *r, int result, char const *why)
{
  r->result = result ;
  r->why = why ;
  return result ;
}

/* Parsed keys, by record text: decoding a public key costs OpenSSL 3
 * far more than verifying with it, and a resident verifier sees the
 * same few records over and over. The cache holds a reference. */
#define KEYCACHE 8
static int key_parse_cached (dkim_key *k, char const *rec, size_t len, char const **why)
{
  static struct { size_t len ; dkim_key k ; char text[DKIM_RECORD_MAX] ; } cache[KEYCACHE] ;
  static unsigned int next = 0 ;
  int r ;
  for (unsigned int i = 0 ; i < KEYCACHE ; i++)
    if (cache[i].k.pkey && cache[i].len == len && !memcmp(cache[i].text, rec, len) && EVP_PKEY_up_ref(cache[i].k.pkey))
    {
      *k = cache[i].k ;
      return 1 ;
    }
  r = dkim_key_parse(k, rec, len, why) ;
  if (r == 1 && len <= DKIM_RECORD_MAX && EVP_PKEY_up_ref(k->pkey))
  {
    if (cache[next].k.pkey) dkim_key_free(&cache[next].k) ;
    cache[next].k = *k ;
    cache[next].len = len ;
    memcpy(cache[next].text, rec, len) ;
    next = (next + 1) % KEYCACHE ;
  }
  return r ;
}

/* The key for sig: fetched, parsed and checked against the signature
 * (§6.1.2). Returns DKIM_PASS with k filled, or the result to give. */
static int get_key (dkim_sig const *sig, dkim_lookup_fn *lookup, void *lctx, dkim_key *k, dkim_result *r)
{
  char name[DNS_NAME_MAX + 1] ;
  static stralloc rec = STRALLOC_ZERO ;   /* kept: a malloc per message saved */
  char const *why = 0 ;
  int n ;
  size_t sl = strlen(sig->selector), dl = strlen(sig->domain) ;
  memcpy(name, sig->selector, sl) ;
  memcpy(name + sl, "._domainkey.", 12) ;
  memcpy(name + sl + 12, sig->domain, dl + 1) ;
  rec.len = 0 ;
  n = (*lookup)(lctx, name, &rec, &why) ;
  if (n < 0) return set(r, DKIM_TEMPERROR, why ? why : "key lookup failed") ;
  if (!n) return set(r, DKIM_PERMERROR, "no key for signature") ;
  if (n > 1) return set(r, DKIM_PERMERROR, "several key records") ;
  n = key_parse_cached(k, rec.s, rec.len ? rec.len - 1 : 0, &why) ;
  if (!n) return set(r, DKIM_PERMERROR, why) ;
  if (n < 0)
  {
    /* a type mismatch (§6.1.2) is a permerror whatever the key bytes */
    if (k->ktype != (sig->alg == DKIM_ALG_ED25519_SHA256 ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256))
      return set(r, DKIM_PERMERROR, "key type does not match the algorithm") ;
    return set(r, DKIM_FAIL, why) ;
  }
  r->bits = k->bits ;
  r->testing = k->testing ;
  if (k->ktype != (sig->alg == DKIM_ALG_ED25519_SHA256 ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256))
    why = "key type does not match the algorithm" ;
  else if (!k->sha256_ok) why = "key does not allow sha256" ;
  else if (k->strict && strcmp(sig->auid_domain, sig->domain)) why = "i= is a subdomain of d= but the key says t=s" ;
  if (why)
  {
    dkim_key_free(k) ;
    return set(r, DKIM_PERMERROR, why) ;
  }
  if (k->ktype == DKIM_ALG_RSA_SHA256 && k->bits < DKIM_RSA_BITS_MIN)
  {
    dkim_key_free(k) ;
    return set(r, DKIM_FAIL, "RSA key shorter than 1024 bits (RFC 8301)") ;
  }
  return DKIM_PASS ;
}

static int verify_one (char const *msg, size_t len, dkim_field const *fields, size_t nfields, size_t body, size_t fi, dkim_lookup_fn *lookup, void *lctx, uint64_t now, dkim_result *r)
{
  static dkim_sig sig ;
  char const *names[DKIM_HLIST_MAX] ;
  size_t lens[DKIM_HLIST_MAX] ;
  unsigned char digest[32] ;
  uint64_t total ;
  char const *field = msg + fields[fi].off ;
  char const *why = 0 ;
  dkim_key k ;
  int ok ;
  memset(&sig, 0, sizeof(sig)) ;
  if (!dkim_sig_parse(&sig, field, fields[fi].len, &why)) return set(r, DKIM_PERMERROR, why) ;
  r->alg = sig.alg ;
  memcpy(r->domain, sig.domain, sizeof(r->domain)) ;
  memcpy(r->selector, sig.selector, sizeof(r->selector)) ;
  memcpy(r->auid, sig.auid, sizeof(r->auid)) ;
  memcpy(r->bprefix, sig.bprefix, sizeof(r->bprefix)) ;
  if (sig.alg == DKIM_ALG_RSA_SHA1) return set(r, DKIM_FAIL, "rsa-sha1 is not accepted (RFC 8301)") ;
  if (sig.has_x && sig.x < now) return set(r, DKIM_FAIL, "signature expired") ;
  if (len - body > DKIM_BODY_MAX) return set(r, DKIM_NEUTRAL, "message too large to verify") ;
  ok = get_key(&sig, lookup, lctx, &k, r) ;
  if (ok != DKIM_PASS) return ok ;

  /* the body (§6.1.3); l= counts canonical bytes */
  if (!dkim_body_hash(msg + body, len - body, sig.bcanon, sig.has_l ? sig.l : UINT64_MAX, digest, &total))
  {
    dkim_key_free(&k) ;
    return set(r, DKIM_TEMPERROR, "out of memory") ;
  }
  if (sig.has_l && sig.l > total)
  {
    dkim_key_free(&k) ;
    return set(r, DKIM_FAIL, "l= is longer than the body") ;
  }
  if (sig.bhlen != 32 || memcmp(digest, sig.bh, 32))
  {
    dkim_key_free(&k) ;
    return set(r, DKIM_FAIL, "body hash did not verify") ;
  }
  for (unsigned int i = 0 ; i < sig.nh ; i++)
  {
    names[i] = field + sig.h[i].off ;
    lens[i] = sig.h[i].len ;
  }
  if (!dkim_header_digest(msg, fields, nfields, names, lens, sig.nh, sig.hcanon, field, fields[fi].len, sig.bstart, sig.bend, digest))
  {
    dkim_key_free(&k) ;
    return set(r, DKIM_TEMPERROR, "out of memory") ;
  }
  ok = dkim_crypto_verify(k.pkey, sig.alg, digest, sig.b, sig.blen) ;
  dkim_key_free(&k) ;
  if (ok < 0) return set(r, DKIM_TEMPERROR, "out of memory") ;
  if (!ok) return set(r, DKIM_FAIL, "signature did not verify") ;
  if (sig.has_l && total > sig.l)
  {
    r->unsigned_body = 1 ;
    return set(r, DKIM_PASS, "content after l= is not signed") ;
  }
  return set(r, DKIM_PASS, 0) ;
}

int dkim_verify (char const *msg, size_t len, dkim_lookup_fn *lookup, void *lctx, uint64_t now, dkim_result *res, unsigned int max, unsigned int *n)
{
  static genalloc fields = GENALLOC_ZERO ;   /* kept: reallocs per message saved */
  size_t body ;
  char const *why = 0 ;
  unsigned int found = 0 ;
  if (!dkim_split(msg, len, &fields, &body, &why))
  {
    if (!strcmp(why, "out of memory")) return (errno = ENOMEM, 0) ;
    if (max)
    {
      memset(res, 0, sizeof(*res)) ;
      set(res, DKIM_NEUTRAL, why) ;
    }
    *n = 1 ;
    return 1 ;
  }
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) ;
    size_t nf = genalloc_len(dkim_field, &fields) ;
    for (size_t i = 0 ; i < nf ; i++)
    {
      dkim_result *r ;
      if (!dkim_field_is(msg, f + i, "dkim-signature", 14)) continue ;
      if (found++ >= max) continue ;
      r = res + found - 1 ;
      memset(r, 0, sizeof(*r)) ;
      if (found > DKIM_SIGS_MAX) set(r, DKIM_POLICY, "not verified: too many signatures") ;
      else verify_one(msg, len, f, nf, body, i, lookup, lctx, now, r) ;
    }
  }
  if (!found && max)
  {
    memset(res, 0, sizeof(*res)) ;
    set(res, DKIM_NONE, 0) ;
  }
  *n = found ;
  return 1 ;
}

/* ISC license. */

/* ARC sealing, RFC 8617 §5.1: the next set, i = N + 1, for a message
 * we pass on. Made where the private key is (dkimsign, uid phdkim):
 *  - ARC-Authentication-Results: i=; then this hop's
 *    Authentication-Results payload (§4.1.1);
 *  - ARC-Message-Signature: DKIM's signature with i= instead of v=,
 *    relaxed/relaxed, over ARC_AMS_HEADERS as present (§4.1.2; never
 *    ARC-Seal);
 *  - ARC-Seal: over every set 1..N+1, relaxed, cv= the chain's state
 *    as received (§4.1.3, §5.1.1).
 * A chain already at ARC_INSTANCES_MAX is not sealed (§5.1.1.1.1: a
 * chain over 50 is invalid anyway), nor one whose sets cannot be told
 * apart (a malformed chain: its seals could not be covered). */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/arc-internal.h"
#include "common/dkim_ext.h"

#define LINE 76

typedef struct out_s out ;
struct out_s
{
  stralloc *sa ;
  size_t col ;     /* the current line's length */
  char const *eol ;
  int err ;
} ;

static void put (out *o, char const *s, size_t len)
{
  if (!stralloc_catb(o->sa, s, len)) o->err = 1 ;
  o->col += len ;
}

/* a word, after a fold when it would run past the line */
static void word (out *o, char const *s, size_t len)
{
  if (o->col + len > LINE && o->col > 1)
  {
    put(o, o->eol, strlen(o->eol)) ;
    put(o, "\t", 1) ;
    o->col = 8 ;
  }
  put(o, s, len) ;
}

static void words (out *o, char const *s)
{
  word(o, s, strlen(s)) ;
}

/* base64 folded in chunks */
static void b64 (out *o, unsigned char const *s, size_t len)
{
  stralloc b = STRALLOC_ZERO ;
  if (!dkim_b64_encode(&b, s, len)) { o->err = 1 ; return ; }
  for (size_t i = 0 ; i < b.len ; )
  {
    size_t room = o->col < LINE ? LINE - o->col : 0 ;
    size_t n = b.len - i < room ? b.len - i : room ;
    if (!n)
    {
      put(o, o->eol, strlen(o->eol)) ;
      put(o, "\t", 1) ;
      o->col = 8 ;
      continue ;
    }
    put(o, b.s + i, n) ;
    i += n ;
  }
  stralloc_free(&b) ;
}

static char const *algname (int alg)
{
  return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256" ;
}

static void common_tags (out *o, unsigned int inst, dkim_signkey const *key, uint64_t now)
{
  char fmt[UINT64_FMT + 8] ;
  memcpy(fmt, "i=", 2) ;
  fmt[2 + uint_fmt(fmt + 2, inst)] = 0 ;
  words(o, fmt) ; put(o, "; ", 2) ;
  words(o, "a=") ; put(o, algname(key->alg), strlen(algname(key->alg))) ; put(o, "; ", 2) ;
  words(o, "d=") ; put(o, key->domain, strlen(key->domain)) ; put(o, "; ", 2) ;
  words(o, "s=") ; put(o, key->selector, strlen(key->selector)) ; put(o, "; ", 2) ;
  memcpy(fmt, "t=", 2) ;
  fmt[2 + uint64_fmt(fmt + 2, now)] = 0 ;
  words(o, fmt) ; put(o, "; ", 2) ;
}

int arc_seal (stralloc *sa, char const *msg, size_t len, dkim_signkey const *key, int cv, char const *authres, uint64_t now, char const *eol, char const **why)
{
  static arc_sig sigs[2][ARC_INSTANCES_MAX + 1] ;
  arc_set sets[ARC_INSTANCES_MAX + 1] ;
  genalloc fields = GENALLOC_ZERO ;
  stralloc aar = STRALLOC_ZERO, ams = STRALLOC_ZERO, as = STRALLOC_ZERO ;
  dkim_field const *f ;
  size_t nf, body ;
  unsigned int n, inst ;
  unsigned char digest[32], sig[DKIM_SIGBYTES_MAX] ;
  size_t siglen ;
  uint64_t total ;
  int ok = 0 ;
  if (!dkim_split(msg, len, &fields, &body, why)) goto end ;
  f = genalloc_s(dkim_field, &fields) ;
  nf = genalloc_len(dkim_field, &fields) ;
  if (!arc_sets_collect(msg, f, nf, sets, sigs, &n, why)) goto end ;
  if (n >= ARC_INSTANCES_MAX) { *why = "the ARC chain is full" ; goto end ; }
  if (!n) cv = ARC_NONE ;
  else if (cv == ARC_NONE) cv = ARC_FAIL ;   /* a chain that was not validated cannot be vouched for */
  inst = n + 1 ;

  /* ARC-Authentication-Results: the payload unfolded, then folded at its own ";" */
  {
    out o = { .sa = &aar, .col = 0, .eol = eol, .err = 0 } ;
    char fmt[UINT_FMT + 4] ;
    size_t i = 0, al = strlen(authres) ;
    put(&o, "ARC-Authentication-Results: ", 28) ;
    memcpy(fmt, "i=", 2) ;
    fmt[2 + uint_fmt(fmt + 2, inst)] = 0 ;
    words(&o, fmt) ;
    put(&o, "; ", 2) ;
    while (i < al)
    {
      size_t j = i ;
      while (j < al && (authres[j] == ' ' || authres[j] == '\t' || authres[j] == '\r' || authres[j] == '\n')) j++ ;
      if (j > i && j < al) put(&o, " ", 1) ;
      i = j ;
      while (j < al && authres[j] != ' ' && authres[j] != '\t' && authres[j] != '\r' && authres[j] != '\n') j++ ;
      if (j > i) word(&o, authres + i, j - i) ;
      i = j ;
    }
    if (o.err) { *why = "out of memory" ; goto end ; }
  }

  /* ARC-Message-Signature */
  {
    out o = { .sa = &ams, .col = 0, .eol = eol, .err = 0 } ;
    char const *names[DKIM_HLIST_MAX] ;
    size_t lens[DKIM_HLIST_MAX] ;
    unsigned int nh = 0 ;
    char const *list = ARC_AMS_HEADERS ;
    size_t bstart ;
    put(&o, "ARC-Message-Signature: ", 23) ;
    common_tags(&o, inst, key, now) ;
    words(&o, "c=relaxed/relaxed;") ;
    put(&o, " ", 1) ;
    words(&o, "h=") ;
    for (size_t i = 0 ; list[i] ; )
    {
      size_t e = i ;
      while (list[e] && list[e] != ':') e++ ;
      for (size_t k = 0 ; k < nf && nh < DKIM_HLIST_MAX ; k++)
        if (dkim_field_is(msg, f + k, list + i, e - i))
        {
          if (nh) put(&o, ":", 1) ;
          word(&o, list + i, e - i) ;
          names[nh] = list + i ;
          lens[nh++] = e - i ;
        }
      i = list[e] ? e + 1 : e ;
    }
    if (!nh) { *why = "no header field to sign" ; goto end ; }
    put(&o, "; ", 2) ;
    if (len - body > DKIM_BODY_MAX || !dkim_body_hash(msg + body, len - body, DKIM_CANON_RELAXED, UINT64_MAX, digest, &total))
    { *why = "cannot hash the body" ; goto end ; }
    words(&o, "bh=") ;
    b64(&o, digest, 32) ;
    put(&o, "; ", 2) ;
    words(&o, "b=") ;
    bstart = ams.len ;
    if (o.err) { *why = "out of memory" ; goto end ; }
    if (!dkim_ext_header_digest(msg, f, nf, names, lens, nh, DKIM_CANON_RELAXED, ams.s, ams.len, bstart, bstart, digest)
     || !dkim_ext_sign_digest(key->pkey, key->alg, digest, sig, &siglen))
    { *why = "signing failed (OpenSSL)" ; goto end ; }
    b64(&o, sig, siglen) ;
    if (o.err) { *why = "out of memory" ; goto end ; }
  }

  /* ARC-Seal */
  {
    out o = { .sa = &as, .col = 0, .eol = eol, .err = 0 } ;
    size_t bstart ;
    put(&o, "ARC-Seal: ", 10) ;
    common_tags(&o, inst, key, now) ;
    words(&o, cv == ARC_PASS ? "cv=pass;" : cv == ARC_FAIL ? "cv=fail;" : "cv=none;") ;
    put(&o, " ", 1) ;
    words(&o, "b=") ;
    bstart = as.len ;
    if (o.err) { *why = "out of memory" ; goto end ; }
    if (!arc_seal_digest(msg, f, sets, inst, aar.s, aar.len, ams.s, ams.len, as.s, as.len, bstart, bstart, digest)
     || !dkim_ext_sign_digest(key->pkey, key->alg, digest, sig, &siglen))
    { *why = "sealing failed (OpenSSL)" ; goto end ; }
    b64(&o, sig, siglen) ;
    if (o.err) { *why = "out of memory" ; goto end ; }
  }
  {
    size_t el = strlen(eol) ;
    if (!stralloc_catb(sa, as.s, as.len) || !stralloc_catb(sa, eol, el)
     || !stralloc_catb(sa, ams.s, ams.len) || !stralloc_catb(sa, eol, el)
     || !stralloc_catb(sa, aar.s, aar.len) || !stralloc_catb(sa, eol, el))
    { *why = "out of memory" ; goto end ; }
  }
  ok = 1 ;
 end:
  genalloc_free(dkim_field, &fields) ;
  stralloc_free(&aar) ;
  stralloc_free(&ams) ;
  stralloc_free(&as) ;
  return ok ;
}

/* ISC license. */

/* ARC chain validation, RFC 8617 §5.2:
 *  1. no ARC set: none;
 *  2. the newest seal says cv=fail: fail;
 *  3. the sets are complete and numbered 1..N (N ≤ 50), set 1 has
 *     cv=none, every later one cv=pass: else fail;
 *  4. the newest ARC-Message-Signature verifies: else fail;
 *  5. oldest-pass: the older AMSs are checked down to the first that
 *     fails (informational, RFC 8617 §5.2 step 5);
 *  6. every ARC-Seal, newest first, verifies: else fail;
 *  7. pass.
 * A key that cannot be fetched now makes the chain fail with
 * temperror set (RFC 8601's arc method has no temperror word); the
 * filter reports it as such in a comment. */

#include <errno.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/arc-internal.h"
#include "common/dkim_ext.h"

/* 1 key ok (k filled), 0 fail (c->why), -1 temporary */
static int getkey (arc_sig const *s, dkim_lookup_fn *lookup, void *lctx, dkim_key *k, arc_chain *c)
{
  char name[DNS_NAME_MAX + 1] ;
  stralloc rec = STRALLOC_ZERO ;
  char const *why = 0 ;
  size_t sl = strlen(s->selector), dl = strlen(s->domain) ;
  int n ;
  memcpy(name, s->selector, sl) ;
  memcpy(name + sl, "._domainkey.", 12) ;
  memcpy(name + sl + 12, s->domain, dl + 1) ;
  n = (*lookup)(lctx, name, &rec, &why) ;
  if (n < 0)
  {
    stralloc_free(&rec) ;
    c->temperror = 1 ;
    c->why = "ARC key lookup failed (temporary)" ;
    return -1 ;
  }
  if (n != 1)
  {
    stralloc_free(&rec) ;
    c->why = n ? "several ARC key records" : "no ARC key" ;
    return 0 ;
  }
  n = dkim_key_parse(k, rec.s, rec.len ? rec.len - 1 : 0, &why) ;
  stralloc_free(&rec) ;
  if (n <= 0) { c->why = "unusable ARC key" ; return 0 ; }
  if (k->ktype != s->alg || !k->sha256_ok || (k->ktype == DKIM_ALG_RSA_SHA256 && k->bits < DKIM_RSA_BITS_MIN))
  {
    dkim_key_free(k) ;
    c->why = "ARC key does not fit the signature" ;
    return 0 ;
  }
  return 1 ;
}

/* 1 verifies, 0 not, -1 temporary or out of memory */
static int check_ams (char const *msg, size_t len, dkim_field const *f, size_t nf, size_t body, arc_set const *set, arc_sig const *s, dkim_lookup_fn *lookup, void *lctx, arc_chain *c)
{
  char const *field = msg + f[set->ams].off ;
  char const *names[DKIM_HLIST_MAX] ;
  size_t lens[DKIM_HLIST_MAX] ;
  unsigned char digest[32] ;
  uint64_t total ;
  dkim_key k ;
  int r ;
  if (len - body > DKIM_BODY_MAX) { c->why = "message too large to verify" ; return 0 ; }
  if (!dkim_body_hash(msg + body, len - body, s->bcanon, UINT64_MAX, digest, &total)) return -1 ;
  if (s->bhlen != 32 || memcmp(digest, s->bh, 32)) { c->why = "ARC-Message-Signature body hash did not verify" ; return 0 ; }
  for (unsigned int i = 0 ; i < s->nh ; i++)
  {
    names[i] = field + s->h[i].off ;
    lens[i] = s->h[i].len ;
  }
  if (!dkim_ext_header_digest(msg, f, nf, names, lens, s->nh, s->hcanon, field, f[set->ams].len, s->bstart, s->bend, digest)) return -1 ;
  r = getkey(s, lookup, lctx, &k, c) ;
  if (r <= 0) return r ;
  r = dkim_ext_verify_digest(k.pkey, s->alg, digest, s->b, s->blen) ;
  dkim_key_free(&k) ;
  if (!r) c->why = "ARC-Message-Signature did not verify" ;
  return r ;
}

static int check_as (char const *msg, dkim_field const *f, arc_set const *sets, unsigned int i, arc_sig const *s, dkim_lookup_fn *lookup, void *lctx, arc_chain *c)
{
  unsigned char digest[32] ;
  dkim_key k ;
  int r ;
  if (!arc_seal_digest(msg, f, sets, i, msg + f[sets[i].aar].off, f[sets[i].aar].len, msg + f[sets[i].ams].off, f[sets[i].ams].len,
                       msg + f[sets[i].as].off, f[sets[i].as].len, s->bstart, s->bend, digest)) return -1 ;
  r = getkey(s, lookup, lctx, &k, c) ;
  if (r <= 0) return r ;
  r = dkim_ext_verify_digest(k.pkey, s->alg, digest, s->b, s->blen) ;
  dkim_key_free(&k) ;
  if (!r) c->why = "ARC-Seal did not verify" ;
  return r ;
}

static int finish (arc_chain *c, int result, genalloc *fields)
{
  genalloc_free(dkim_field, fields) ;
  c->result = result ;
  return 1 ;
}

int arc_verify (char const *msg, size_t len, dkim_lookup_fn *lookup, void *lctx, arc_chain *c)
{
  static arc_sig sigs[2][ARC_INSTANCES_MAX + 1] ;
  arc_set sets[ARC_INSTANCES_MAX + 1] ;
  genalloc fields = GENALLOC_ZERO ;
  dkim_field const *f ;
  size_t nf, body ;
  char const *why = 0 ;
  unsigned int n ;
  int r ;
  memset(c, 0, sizeof(*c)) ;
  if (!dkim_split(msg, len, &fields, &body, &why))
  {
    if (!strcmp(why, "out of memory")) { genalloc_free(dkim_field, &fields) ; return (errno = ENOMEM, 0) ; }
    c->why = why ;
    return finish(c, ARC_FAIL, &fields) ;
  }
  f = genalloc_s(dkim_field, &fields) ;
  nf = genalloc_len(dkim_field, &fields) ;
  if (!arc_sets_collect(msg, f, nf, sets, sigs, &n, &why))
  {
    c->why = why ;
    return finish(c, ARC_FAIL, &fields) ;
  }
  c->n = n ;
  if (!n) return finish(c, ARC_NONE, &fields) ;
  {
    arc_sig const *as = &sigs[ARC_KIND_AS - 1][n] ;
    size_t payload ;
    unsigned int inst ;
    memcpy(c->domain, as->domain, sizeof(c->domain)) ;
    memcpy(c->selector, as->selector, sizeof(c->selector)) ;
    if (arc_aar_parse(msg + f[sets[n].aar].off, f[sets[n].aar].len, &inst, &payload))
    {
      char const *p = msg + f[sets[n].aar].off + payload ;
      size_t pl = f[sets[n].aar].len - payload, i = 0, w = 0 ;
      while (i < pl && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++ ;
      while (i < pl && w < DNS_NAME_MAX && p[i] != ';' && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') c->aar_authserv[w++] = p[i++] ;
      c->aar_authserv[w] = 0 ;
    }
  }
  if (sigs[ARC_KIND_AS - 1][n].cv == ARC_FAIL)
  {
    c->why = "the newest ARC-Seal says cv=fail" ;
    return finish(c, ARC_FAIL, &fields) ;
  }
  for (unsigned int i = 1 ; i <= n ; i++)
    if (sigs[ARC_KIND_AS - 1][i].cv != (i == 1 ? ARC_NONE : ARC_PASS))
    {
      c->why = i == 1 ? "the first ARC-Seal does not say cv=none" : "an ARC-Seal after the first does not say cv=pass" ;
      return finish(c, ARC_FAIL, &fields) ;
    }
  r = check_ams(msg, len, f, nf, body, sets + n, &sigs[ARC_KIND_AMS - 1][n], lookup, lctx, c) ;
  if (r < 0 && !c->temperror) { genalloc_free(dkim_field, &fields) ; return (errno = ENOMEM, 0) ; }
  if (r <= 0) return finish(c, ARC_FAIL, &fields) ;
  /* §5.2 step 5: the oldest AMS that still verifies, 0 when all do */
  c->oldest_pass = 0 ;
  for (unsigned int i = n ; i-- > 1 ; )
  {
    static arc_chain scratch ;
    scratch = *c ;
    if (check_ams(msg, len, f, nf, body, sets + i, &sigs[ARC_KIND_AMS - 1][i], lookup, lctx, &scratch) != 1)
    {
      c->oldest_pass = i + 1 ;
      break ;
    }
  }
  for (unsigned int i = n ; i >= 1 ; i--)
  {
    r = check_as(msg, f, sets, i, &sigs[ARC_KIND_AS - 1][i], lookup, lctx, c) ;
    if (r < 0 && !c->temperror) { genalloc_free(dkim_field, &fields) ; return (errno = ENOMEM, 0) ; }
    if (r <= 0) return finish(c, ARC_FAIL, &fields) ;
  }
  c->why = 0 ;
  return finish(c, ARC_PASS, &fields) ;
}

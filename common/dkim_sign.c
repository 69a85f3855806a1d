/* ISC license. */

/* Signing, RFC 6376 §5. The fields signed are the ones of SIGNED that
 * the message has, each as often as it occurs, and From once more
 * ("oversigned", §8.15): a From added later breaks the signature. */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/dkim-internal.h"

#define FOLD 72

static char const *const SIGNED[] =
{
  "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
  "In-Reply-To", "References", "MIME-Version", "Content-Type",
  "Content-Transfer-Encoding", "Content-Disposition", "Sender",
  "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
  "Resent-Message-ID", "List-Id", "List-Help", "List-Unsubscribe",
  "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner",
  "List-Archive", 0
} ;

typedef struct out_s out ;
struct out_s
{
  stralloc *sa ;
  size_t linestart ;
  char const *eol ;
  int ok ;
} ;

static void put (out *o, char const *s, size_t len)
{
  if (o->ok && !stralloc_catb(o->sa, s, len)) o->ok = 0 ;
}

static void puts_ (out *o, char const *s)
{
  put(o, s, strlen(s)) ;
}

/* A new folded line when the next len bytes would pass FOLD columns. */
static void room (out *o, size_t len)
{
  if (o->sa->len - o->linestart + len <= FOLD) return ;
  puts_(o, o->eol) ;
  o->linestart = o->sa->len ;
  put(o, "\t", 1) ;
}

static void tag (out *o, char const *name, char const *value)
{
  room(o, strlen(name) + strlen(value) + 3) ;
  if (o->sa->len > o->linestart + 1) put(o, " ", 1) ;
  puts_(o, name) ;
  put(o, "=", 1) ;
  puts_(o, value) ;
  put(o, ";", 1) ;
}

int dkim_sign (stralloc *sa, char const *msg, size_t len, dkim_signkey const *key, dkim_signopts const *o, char const **why)
{
  static genalloc fields = GENALLOC_ZERO ;   /* kept: reallocs per message saved */
  char const *names[DKIM_HLIST_MAX] ;
  size_t lens[DKIM_HLIST_MAX] ;
  unsigned int nh = 0 ;
  size_t body, start = sa->len, nf ;
  dkim_field const *f ;
  unsigned char bh[32], digest[32], sig[DKIM_SIGBYTES_MAX] ;
  size_t siglen = sizeof(sig) ;
  uint64_t total ;
  out w = { .sa = sa, .linestart = sa->len, .eol = o->eol, .ok = 1 } ;
  char num[UINT64_FMT] ;

  if (len > DKIM_BODY_MAX) return (*why = "message too large to sign", 0) ;
  if (!dkim_split(msg, len, &fields, &body, why)) goto err ;
  f = genalloc_s(dkim_field, &fields) ;
  nf = genalloc_len(dkim_field, &fields) ;
  for (unsigned int k = 0 ; SIGNED[k] ; k++)
  {
    size_t nl = strlen(SIGNED[k]) ;
    unsigned int count = 0 ;
    for (size_t i = 0 ; i < nf ; i++) if (dkim_field_is(msg, f + i, SIGNED[k], nl)) count++ ;
    if (!k && !count) { *why = "no From field" ; goto err ; }
    if (!k) count++ ;
    while (count--)
    {
      if (nh >= DKIM_HLIST_MAX) { *why = "too many header fields to sign" ; goto err ; }
      names[nh] = SIGNED[k] ;
      lens[nh++] = nl ;
    }
  }
  if (!dkim_body_hash(msg + body, len - body, o->bcanon, UINT64_MAX, bh, &total)) { *why = "OpenSSL error" ; goto err ; }

  puts_(&w, "DKIM-Signature: v=1;") ;
  tag(&w, "a", key->alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256") ;
  tag(&w, "c", o->hcanon == DKIM_CANON_RELAXED
    ? (o->bcanon == DKIM_CANON_RELAXED ? "relaxed/relaxed" : "relaxed/simple")
    : (o->bcanon == DKIM_CANON_RELAXED ? "simple/relaxed" : "simple/simple")) ;
  tag(&w, "d", key->domain) ;
  tag(&w, "s", key->selector) ;
  if (o->auid) tag(&w, "i", o->auid) ;
  num[uint64_fmt(num, o->t)] = 0 ;
  tag(&w, "t", num) ;
  if (o->expire)
  {
    num[uint64_fmt(num, o->t + o->expire)] = 0 ;
    tag(&w, "x", num) ;
  }
  room(&w, 3 + lens[0]) ;
  put(&w, " h=", 3) ;
  for (unsigned int k = 0 ; k < nh ; k++)
  {
    char lower[64] ;
    for (size_t i = 0 ; i < lens[k] ; i++) lower[i] = names[k][i] | (names[k][i] >= 'A' && names[k][i] <= 'Z' ? 0x20 : 0) ;
    if (k) { room(&w, lens[k] + 1) ; put(&w, ":", 1) ; }
    put(&w, lower, lens[k]) ;
  }
  put(&w, ";", 1) ;
  {
    stralloc b = STRALLOC_ZERO ;
    if (!dkim_b64_encode(&b, bh, 32) || !stralloc_0(&b)) { stralloc_free(&b) ; *why = "out of memory" ; goto err ; }
    tag(&w, "bh", b.s) ;
    stralloc_free(&b) ;
  }
  room(&w, 4) ;
  put(&w, " b=", 3) ;
  if (!w.ok) { *why = "out of memory" ; goto err ; }
  if (sa->len - start > DKIM_FIELD_MAX) { *why = "signature field too long" ; goto err ; }

  /* §3.7: the signature field as it will be, b= empty, last */
  if (!dkim_header_digest(msg, f, nf, names, lens, nh, o->hcanon, sa->s + start, sa->len - start, sa->len - start, sa->len - start, digest)
   || !dkim_crypto_sign(key->pkey, key->alg, digest, sig, &siglen))
  {
    *why = "signing failed (OpenSSL)" ;
    goto err ;
  }
  {
    stralloc b = STRALLOC_ZERO ;
    size_t i = 0 ;
    if (!dkim_b64_encode(&b, sig, siglen)) { *why = "out of memory" ; goto err ; }
    while (i < b.len)
    {
      size_t avail = w.linestart + FOLD > sa->len ? w.linestart + FOLD - sa->len : 0 ;
      size_t k = b.len - i < avail ? b.len - i : avail ;
      if (!k)
      {
        puts_(&w, o->eol) ;
        w.linestart = sa->len ;
        put(&w, "\t", 1) ;
        continue ;
      }
      put(&w, b.s + i, k) ;
      i += k ;
    }
    stralloc_free(&b) ;
  }
  puts_(&w, o->eol) ;
  if (!w.ok) { *why = "out of memory" ; goto err ; }
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}

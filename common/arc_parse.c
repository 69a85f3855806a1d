/* ISC license. */

/* The three ARC header fields, RFC 8617 §4.1: tag lists as DKIM's
 * (RFC 6376 §3.2). ARC-Message-Signature has DKIM-Signature's tags but
 * v= and with i= the instance (§4.1.2); its h= must not name ARC-Seal.
 * ARC-Seal has i=, a=, b=, cv=, d=, s=, t= and no h= (§4.1.3). */

#include <string.h>

#include <skalibs/bytestr.h>

#include "common/arc.h"

#define IS_FWSCHAR(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

static int is (char const *s, size_t len, char const *word)
{
  size_t n = strlen(word) ;
  return len == n && !memcmp(s, word, n) ;
}

char const *arc_result_str (int res)
{
  return res == ARC_PASS ? "pass" : res == ARC_FAIL ? "fail" : "none" ;
}

/* 1*2DIGIT, 1 to ARC_INSTANCES_MAX (§4.2.1) */
static int instance (char const *s, size_t len, unsigned int *i)
{
  unsigned int v = 0 ;
  if (!len || len > 2) return 0 ;
  for (size_t k = 0 ; k < len ; k++)
  {
    if (s[k] < '0' || s[k] > '9') return 0 ;
    v = v * 10 + (unsigned int)(s[k] - '0') ;
  }
  if (!v || v > ARC_INSTANCES_MAX) return 0 ;
  *i = v ;
  return 1 ;
}

/* d= and s=: host-name labels, lower-cased */
static int name (char const *s, size_t len, char *out)
{
  size_t label = 0 ;
  if (!len || len > DNS_NAME_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '.')
    {
      if (!label) return 0 ;
      label = 0 ;
    }
    else
    {
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
      if (++label > 63) return 0 ;
    }
    out[i] = c ;
  }
  if (!label) return 0 ;
  out[len] = 0 ;
  return 1 ;
}

static int hlist (arc_sig *sig, char const *s, size_t off, size_t len)
{
  size_t i = off, end = off + len ;
  sig->nh = 0 ;
  for (;;)
  {
    size_t start ;
    while (i < end && IS_FWSCHAR(s[i])) i++ ;
    start = i ;
    while (i < end && (unsigned char)s[i] >= 33 && (unsigned char)s[i] <= 126 && s[i] != ':') i++ ;
    if (i == start || sig->nh >= DKIM_HLIST_MAX) return 0 ;
    if (i - start == 8 && !case_diffb(s + start, 8, "arc-seal")) return 0 ;
    sig->h[sig->nh].off = start ;
    sig->h[sig->nh].len = i - start ;
    sig->nh++ ;
    while (i < end && IS_FWSCHAR(s[i])) i++ ;
    if (i == end) return 1 ;
    if (s[i] != ':') return 0 ;
    i++ ;
  }
}

int arc_sig_parse (arc_sig *sig, int kind, char const *field, size_t len, char const **why)
{
  static dkim_tags t ;
  dkim_tag const *g ;
  size_t colon = byte_chr(field, len, ':') ;
  char const *v ;
  memset(sig, 0, sizeof(*sig)) ;
  sig->kind = kind ;
  if (colon == len) return (*why = "not a header field", 0) ;
  v = field + colon + 1 ;
  if (!dkim_tags_parse(&t, v, len - colon - 1, why)) return 0 ;
#define TAG(name) ((g = dkim_tags_get(&t, v, name)))
#define VAL v + g->value, g->valuelen
  if (!TAG("i") || !instance(VAL, &sig->instance)) return (*why = "missing or bad i=", 0) ;
  if (!TAG("a")) return (*why = "missing a=", 0) ;
  if (is(VAL, "rsa-sha256")) sig->alg = DKIM_ALG_RSA_SHA256 ;
  else if (is(VAL, "ed25519-sha256")) sig->alg = DKIM_ALG_ED25519_SHA256 ;
  else return (*why = "unknown or refused algorithm", 0) ;
  if (!TAG("b")) return (*why = "missing b=", 0) ;
  if (!dkim_b64_decode(VAL, sig->b, sizeof(sig->b), &sig->blen) || !sig->blen) return (*why = "bad b=", 0) ;
  sig->bstart = colon + 1 + g->after ;
  sig->bend = colon + 1 + g->end ;
  if (!TAG("d") || !name(VAL, sig->domain)) return (*why = "missing or bad d=", 0) ;
  if (!TAG("s") || !name(VAL, sig->selector)) return (*why = "missing or bad s=", 0) ;
  if (strlen(sig->selector) + strlen(sig->domain) + 12 > DNS_NAME_MAX) return (*why = "key name too long", 0) ;
  sig->hcanon = sig->bcanon = DKIM_CANON_RELAXED ;
  if (kind == ARC_KIND_AS)
  {
    if (TAG("h")) return (*why = "ARC-Seal with h=", 0) ;
    if (!TAG("cv")) return (*why = "missing cv=", 0) ;
    if (is(VAL, "none")) sig->cv = ARC_NONE ;
    else if (is(VAL, "pass")) sig->cv = ARC_PASS ;
    else if (is(VAL, "fail")) sig->cv = ARC_FAIL ;
    else return (*why = "bad cv=", 0) ;
    return 1 ;
  }
  if (!TAG("bh") || !dkim_b64_decode(VAL, sig->bh, sizeof(sig->bh), &sig->bhlen)) return (*why = "missing or bad bh=", 0) ;
  sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE ;
  if (TAG("c"))
  {
    size_t slash = byte_chr(v + g->value, g->valuelen, '/') ;
    char const *c = v + g->value ;
    if (is(c, slash, "relaxed")) sig->hcanon = DKIM_CANON_RELAXED ;
    else if (!is(c, slash, "simple")) return (*why = "bad c=", 0) ;
    if (slash < g->valuelen)
    {
      if (is(c + slash + 1, g->valuelen - slash - 1, "relaxed")) sig->bcanon = DKIM_CANON_RELAXED ;
      else if (!is(c + slash + 1, g->valuelen - slash - 1, "simple")) return (*why = "bad c=", 0) ;
    }
  }
  if (!TAG("h") || !hlist(sig, v, g->value, g->valuelen)) return (*why = "missing or bad h=", 0) ;
  for (unsigned int k = 0 ; k < sig->nh ; k++) sig->h[k].off += colon + 1 ;
#undef TAG
#undef VAL
  return 1 ;
}

int arc_aar_parse (char const *field, size_t len, unsigned int *inst, size_t *payload)
{
  size_t i = byte_chr(field, len, ':'), start ;
  if (i == len) return 0 ;
  i++ ;
  while (i < len && IS_FWSCHAR(field[i])) i++ ;
  if (i + 2 > len || field[i] != 'i' || field[i+1] != '=') return 0 ;
  i += 2 ;
  while (i < len && IS_FWSCHAR(field[i])) i++ ;
  start = i ;
  while (i < len && field[i] >= '0' && field[i] <= '9') i++ ;
  if (!instance(field + start, i - start, inst)) return 0 ;
  while (i < len && IS_FWSCHAR(field[i])) i++ ;
  if (i >= len || field[i] != ';') return 0 ;
  *payload = i + 1 ;
  return 1 ;
}

int arc_field_kind (char const *msg, dkim_field const *f)
{
  if (dkim_field_is(msg, f, "arc-seal", 8)) return ARC_KIND_AS ;
  if (dkim_field_is(msg, f, "arc-message-signature", 21)) return ARC_KIND_AMS ;
  if (dkim_field_is(msg, f, "arc-authentication-results", 26)) return ARC_KIND_AAR ;
  return -1 ;
}

/* ISC license. */

/* DKIM-Signature fields, RFC 6376 §3.5, and the checks of §6.1.1. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "common/dkim.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
#define IS_FWSCHAR(c) (IS_WSP(c) || (c) == '\r' || (c) == '\n')

static int is (char const *s, size_t len, char const *word)
{
  size_t n = strlen(word) ;
  return len == n && !memcmp(s, word, n) ;
}

/* 1*76DIGIT into a uint64 (values past 2^64 cannot matter here). */
static int number (char const *s, size_t len, uint64_t *u)
{
  uint64_t v = 0 ;
  if (!len || len > 76) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    if (v > (UINT64_MAX - 9) / 10) v = UINT64_MAX ;
    else v = v * 10 + (uint64_t)(s[i] - '0') ;
  }
  *u = v ;
  return 1 ;
}

/* A domain name for d= (RFC 6376 §3.5: domain-name, RFC 5321's
 * sub-domain syntax), lower-cased into out; also for s= (selector:
 * sub-domain *( "." sub-domain )). */
static int domain (char const *s, size_t len, char *out)
{
  size_t label = 0 ;
  if (!len || len > DNS_NAME_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '.')
    {
      if (!label || s[i-1] == '-') return 0 ;
      label = 0 ;
      out[i] = c ;
      continue ;
    }
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
    if (!label && c == '-') return 0 ;
    if (++label > 63) return 0 ;
    out[i] = c ;
  }
  if (!label || s[len-1] == '-') return 0 ;
  out[len] = 0 ;
  return 1 ;
}

static int canon_word (char const *s, size_t len, int *c)
{
  if (is(s, len, "simple")) { *c = DKIM_CANON_SIMPLE ; return 1 ; }
  if (is(s, len, "relaxed")) { *c = DKIM_CANON_RELAXED ; return 1 ; }
  return 0 ;
}

/* h=: hdr-name *( *FWS ":" *FWS hdr-name ); names are RFC 5322 ftext. */
static int hlist (dkim_sig *sig, char const *s, size_t off, size_t len)
{
  size_t i = off, end = off + len ;
  sig->nh = 0 ;
  for (;;)
  {
    size_t start ;
    while (i < end && IS_FWSCHAR(s[i])) i++ ;
    start = i ;
    while (i < end && (unsigned char)s[i] >= 33 && (unsigned char)s[i] <= 126 && s[i] != ':') i++ ;
    if (i == start) return 0 ;
    if (sig->nh >= DKIM_HLIST_MAX) return 0 ;
    sig->h[sig->nh].off = start ;
    sig->h[sig->nh].len = i - start ;
    sig->nh++ ;
    while (i < end && IS_FWSCHAR(s[i])) i++ ;
    if (i == end) return 1 ;
    if (s[i] != ':') return 0 ;
    i++ ;
  }
}

int dkim_sig_parse (dkim_sig *sig, char const *field, size_t len, char const **why)
{
  static dkim_tags t ;
  dkim_tag const *g ;
  size_t colon = byte_chr(field, len, ':') ;
  char const *v ;
  if (colon == len) return (*why = "not a header field", 0) ;
  v = field + colon + 1 ;
  if (!dkim_tags_parse(&t, v, len - colon - 1, why)) return 0 ;
#define TAG(name) ((g = dkim_tags_get(&t, v, name)))
#define VAL v + g->value, g->valuelen

  if (!TAG("v")) return (*why = "missing v=", 0) ;
  if (!is(VAL, "1")) return (*why = "unknown signature version", 0) ;

  if (!TAG("a")) return (*why = "missing a=", 0) ;
  if (is(VAL, "rsa-sha256")) sig->alg = DKIM_ALG_RSA_SHA256 ;
  else if (is(VAL, "ed25519-sha256")) sig->alg = DKIM_ALG_ED25519_SHA256 ;
  else if (is(VAL, "rsa-sha1")) sig->alg = DKIM_ALG_RSA_SHA1 ;
  else return (*why = "unknown algorithm", 0) ;

  if (!TAG("b")) return (*why = "missing b=", 0) ;
  if (!dkim_b64_decode(VAL, sig->b, sizeof(sig->b), &sig->blen) || !sig->blen) return (*why = "bad b=", 0) ;
  /* §3.7: the b= value, from just after "=" to the ";" or the end,
   * whatever whitespace it holds, is taken out when hashing */
  sig->bstart = colon + 1 + g->after ;
  sig->bend = colon + 1 + g->end ;
  {
    size_t k = 0 ;
    for (size_t i = 0 ; i < g->valuelen && k < 8 ; i++)
      if (!IS_FWSCHAR(v[g->value + i])) sig->bprefix[k++] = v[g->value + i] ;
    sig->bprefix[k] = 0 ;
  }

  if (!TAG("bh")) return (*why = "missing bh=", 0) ;
  if (!dkim_b64_decode(VAL, sig->bh, sizeof(sig->bh), &sig->bhlen)) return (*why = "bad bh=", 0) ;

  sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE ;
  if (TAG("c"))
  {
    size_t slash = byte_chr(v + g->value, g->valuelen, '/') ;
    if (!canon_word(v + g->value, slash, &sig->hcanon)) return (*why = "bad c=", 0) ;
    if (slash < g->valuelen && !canon_word(v + g->value + slash + 1, g->valuelen - slash - 1, &sig->bcanon))
      return (*why = "bad c=", 0) ;
  }

  if (!TAG("d")) return (*why = "missing d=", 0) ;
  if (!domain(VAL, sig->domain)) return (*why = "bad d=", 0) ;

  if (!TAG("h")) return (*why = "missing h=", 0) ;
  if (!hlist(sig, v, g->value, g->valuelen)) return (*why = "bad h=", 0) ;
  {
    unsigned int k = 0 ;
    for (; k < sig->nh ; k++) if (sig->h[k].len == 4 && !case_diffb(v + sig->h[k].off, 4, "from")) break ;
    if (k == sig->nh) return (*why = "h= does not sign From", 0) ;   /* §6.1.1 */
    for (k = 0 ; k < sig->nh ; k++) sig->h[k].off += colon + 1 ;
  }

  if (!TAG("s")) return (*why = "missing s=", 0) ;
  if (!domain(VAL, sig->selector)) return (*why = "bad s=", 0) ;
  if (strlen(sig->selector) + strlen(sig->domain) + 12 > DNS_NAME_MAX) return (*why = "key name too long", 0) ;

  if (TAG("i"))
  {
    /* [ Local-part ] "@" domain-name; the domain must be d= or below it */
    size_t at = byte_rchr(v + g->value, g->valuelen, '@') ;
    char dom[DNS_NAME_MAX + 1] ;
    size_t dl, ddl = strlen(sig->domain) ;
    if (at == g->valuelen || g->valuelen > DKIM_AUID_MAX) return (*why = "bad i=", 0) ;
    dl = g->valuelen - at - 1 ;
    if (!domain(v + g->value + at + 1, dl, dom)) return (*why = "bad i=", 0) ;
    if (!(dl == ddl && !memcmp(dom, sig->domain, dl))
     && !(dl > ddl && dom[dl - ddl - 1] == '.' && !memcmp(dom + dl - ddl, sig->domain, ddl)))
      return (*why = "i= is not in d=", 0) ;
    memcpy(sig->auid, v + g->value, at + 1) ;
    memcpy(sig->auid + at + 1, dom, dl + 1) ;
    sig->auid_domain = sig->auid + at + 1 ;
  }
  else
  {
    sig->auid[0] = '@' ;
    memcpy(sig->auid + 1, sig->domain, strlen(sig->domain) + 1) ;
    sig->auid_domain = sig->auid + 1 ;
  }

  sig->has_l = !!TAG("l") ;
  if (sig->has_l && !number(VAL, &sig->l)) return (*why = "bad l=", 0) ;

  if (TAG("q"))
  {
    /* a colon-separated list that must offer dns/txt */
    size_t i = 0, n = g->valuelen ;
    char const *q = v + g->value ;
    int found = 0 ;
    while (i < n)
    {
      size_t e = i + byte_chr(q + i, n - i, ':') ;
      size_t a = i, b = e ;
      while (a < b && IS_FWSCHAR(q[a])) a++ ;
      while (b > a && IS_FWSCHAR(q[b-1])) b-- ;
      if (is(q + a, b - a, "dns/txt")) found = 1 ;
      i = e + 1 ;
    }
    if (!found) return (*why = "q= does not offer dns/txt", 0) ;
  }

  sig->has_t = !!TAG("t") ;
  if (sig->has_t && !number(VAL, &sig->t)) return (*why = "bad t=", 0) ;
  sig->has_x = !!TAG("x") ;
  if (sig->has_x && !number(VAL, &sig->x)) return (*why = "bad x=", 0) ;
  if (sig->has_t && sig->has_x && sig->x < sig->t) return (*why = "x= before t=", 0) ;
#undef TAG
#undef VAL
  return 1 ;
}

/* ISC license. */

/* The fields we add (RFC 8601 §2.2, one resinfo per line):
 *
 *   Authentication-Results: <our host name>;
 *   	spf=pass smtp.mailfrom=example.org;
 *   	dkim=pass (rsa 2048-bit key) header.d=example.org header.s=sel header.b="AbCd/123";
 *   	dmarc=pass (p=reject dis=none) header.from=example.org policy.dmarc=reject;
 *   	arc=none
 *
 * dkim= once per signature (RFC 8601 §2.7.1; header.b, RFC 6008, tells
 * them apart), "dkim=none" without one. Property values are tokens, or
 * quoted strings when they hold a tspecial (RFC 2045, as §2.2 says);
 * comments carry only printable bytes without parentheses or
 * backslashes. Then Received-SPF (RFC 7208 §9.1). */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "filter.h"

#define COMMENT_MAX 200

static int cat (stralloc *sa, char const *s)
{
  return stralloc_cats(sa, s) ;
}

static int comment (stralloc *sa, char const *s)
{
  size_t n = 0 ;
  if (!s || !*s) return 1 ;
  if (!cat(sa, " (")) return 0 ;
  for (; *s && n < COMMENT_MAX ; s++, n++)
  {
    char c = *s ;
    if ((unsigned char)c < 32 || (unsigned char)c > 126 || c == '(' || c == ')' || c == '\\') c = '?' ;
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  return cat(sa, ")") ;
}

/* a property: name=value, the value a token or a quoted-string */
static int prop (stralloc *sa, char const *name, char const *value)
{
  int quote = 0 ;
  if (!value || !*value) return 1 ;
  for (char const *p = value ; *p ; p++)
    if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 || strchr("()<>,;:\\\"/[]?=", *p)) quote = 1 ;
  if (!cat(sa, " ") || !cat(sa, name) || !cat(sa, "=")) return 0 ;
  if (!quote) return cat(sa, value) ;
  if (!cat(sa, "\"")) return 0 ;
  for (char const *p = value ; *p ; p++)
  {
    char c = *p ;
    if ((unsigned char)c < 32 || (unsigned char)c == 127) c = '?' ;
    if ((c == '"' || c == '\\') && !stralloc_catb(sa, "\\", 1)) return 0 ;
    if (!stralloc_catb(sa, &c, 1)) return 0 ;
  }
  return cat(sa, "\"") ;
}

static int spf_part (stralloc *sa, filter const *f)
{
  if (!cat(sa, ";\n\tspf=")) return 0 ;
  if (!f->spf_done) return cat(sa, "none") && comment(sa, f->ip && *f->ip ? "no sender identity to check" : "no client address") ;
  if (!cat(sa, spf_result_name(f->spf.result))) return 0 ;
  if (f->spf.result == SPF_TEMPERROR || f->spf.result == SPF_PERMERROR) { if (!comment(sa, f->spf.problem)) return 0 ; }
  else if (f->spf.mechanism[0] && f->spf.result != SPF_NONE)
  {
    char c[160] ;
    size_t n = strlen(f->spf.mechanism) ;
    if (n > 120) n = 120 ;
    memcpy(c, "matched ", 8) ;
    memcpy(c + 8, f->spf.mechanism, n) ;
    c[8 + n] = 0 ;
    if (!comment(sa, c)) return 0 ;
  }
  return prop(sa, f->spf.identity == SPF_ID_HELO ? "smtp.helo" : "smtp.mailfrom", f->spf.domain) ;
}

static int dkim_part (stralloc *sa, filter const *f)
{
  unsigned int n = f->ndkim < FILTER_DKIM_MAX ? f->ndkim : FILTER_DKIM_MAX ;
  if (!f->ndkim) return cat(sa, ";\n\tdkim=none") ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    dkim_result const *r = f->dkim + i ;
    if (!cat(sa, ";\n\tdkim=") || !cat(sa, dkim_result_str(r->result))) return 0 ;
    if (r->why) { if (!comment(sa, r->why)) return 0 ; }
    else if (r->bits)
    {
      char c[64] ;
      size_t k = 0 ;
      memcpy(c, r->alg == DKIM_ALG_ED25519_SHA256 ? "ed25519 " : "rsa ", r->alg == DKIM_ALG_ED25519_SHA256 ? 8 : 4) ;
      k = r->alg == DKIM_ALG_ED25519_SHA256 ? 8 : 4 ;
      k += uint_fmt(c + k, r->bits) ;
      memcpy(c + k, "-bit key", 9) ;
      if (!comment(sa, c)) return 0 ;
    }
    if (!prop(sa, "header.d", r->domain) || !prop(sa, "header.s", r->selector) || !prop(sa, "header.b", r->bprefix)) return 0 ;
  }
  return 1 ;
}

static int dmarc_part (stralloc *sa, filter const *f)
{
  dmarc_eval const *e = &f->dmarc ;
  char c[COMMENT_MAX + 1] ;
  if (!cat(sa, ";\n\tdmarc=")) return 0 ;
  if (!f->dmarc_done)
    return cat(sa, f->nfrom_fields ? "permerror" : "none") && comment(sa, f->nfrom_fields ? "no domain in From" : "no From field") ;
  if (!cat(sa, dmarc_result_str(e->result))) return 0 ;
  c[0] = 0 ;
  if (e->lookup.status == DMARC_PASS)
  {
    dmarc_record const *r = &e->lookup.rec ;
    char pct[UINT_FMT] ;
    pct[uint_fmt(pct, r->pct)] = 0 ;
    /* p= sp= dis= as rspamd and OpenDMARC's comments have them */
    strcpy(c, "p=") ; strcat(c, dmarc_policy_str(r->p)) ;
    strcat(c, " sp=") ; strcat(c, dmarc_policy_str(r->sp ? r->sp : r->p)) ;
    if (e->np_applied) { strcat(c, " np=") ; strcat(c, dmarc_policy_str(r->np)) ; }
    if (r->pct != 100) { strcat(c, " pct=") ; strcat(c, pct) ; }
    strcat(c, " dis=") ;
    strcat(c, f->override ? "none" : dmarc_policy_str(e->disposition)) ;
    if (e->sampled_out) strcat(c, " sampled_out") ;
    if (f->override) { strcat(c, " override=") ; strncat(c, f->override, 80) ; }
  }
  else if (e->why) { strncpy(c, e->why, COMMENT_MAX) ; c[COMMENT_MAX] = 0 ; }
  if (f->nfrom_domains > 1 && strlen(c) < COMMENT_MAX - 40) strcat(c, c[0] ? "; several author domains" : "several author domains") ;
  if (!comment(sa, c)) return 0 ;
  if (!prop(sa, "header.from", e->lookup.from_domain[0] ? e->lookup.from_domain : f->from[0])) return 0 ;
  if (e->lookup.status == DMARC_PASS && !prop(sa, "policy.dmarc", dmarc_policy_str(e->policy))) return 0 ;
  return 1 ;
}

static int arc_part (stralloc *sa, filter const *f)
{
  arc_chain const *a = &f->arc ;
  if (!cat(sa, ";\n\tarc=") || !cat(sa, arc_result_str(a->result))) return 0 ;
  if (a->result == ARC_NONE) return 1 ;
  if (a->result == ARC_PASS)
  {
    char c[DNS_NAME_MAX + 32] ;
    size_t k = 0 ;
    memcpy(c, "i=", 2) ; k = 2 ;
    k += uint_fmt(c + k, a->n) ;
    memcpy(c + k, " d=", 3) ; k += 3 ;
    memcpy(c + k, a->domain, strlen(a->domain) + 1) ;
    if (!comment(sa, c)) return 0 ;
    if (a->oldest_pass)
    {
      char o[UINT_FMT] ;
      o[uint_fmt(o, a->oldest_pass)] = 0 ;
      if (!prop(sa, "header.oldest-pass", o)) return 0 ;
    }
  }
  else if (!comment(sa, a->why)) return 0 ;
  return prop(sa, "smtp.remote-ip", f->ip) ;
}

/* folds a generated value at spaces to keep lines short (≤ 78 when
 * words allow, never over 998: no word here is that long) */
static int fold (stralloc *sa, char const *name, char const *v, size_t len)
{
  size_t col = strlen(name) ;
  if (!cat(sa, name)) return 0 ;
  for (size_t i = 0 ; i < len ; )
  {
    size_t k ;
    while (i < len && v[i] == ' ') i++ ;
    if (i >= len) break ;
    k = i ;
    while (k < len && v[k] != ' ') k++ ;
    if (col + 1 + (k - i) > 78 && col > 8)
    {
      if (!cat(sa, "\n\t")) return 0 ;
      col = 8 ;
    }
    else
    {
      if (!cat(sa, " ")) return 0 ;
      col++ ;
    }
    if (!stralloc_catb(sa, v + i, k - i)) return 0 ;
    col += k - i ;
    i = k ;
  }
  return cat(sa, "\n") ;
}

int filter_authres (stralloc *sa, filter const *f)
{
  if (!cat(sa, "Authentication-Results: ") || !cat(sa, f->hostname)
   || !spf_part(sa, f) || !dkim_part(sa, f) || !dmarc_part(sa, f) || !arc_part(sa, f) || !cat(sa, "\n")) return 0 ;
  if (f->spf_done)
  {
    spf_query q = { .ip = f->ip, .helo = f->helo && *f->helo ? f->helo : 0, .sender = f->sender, .receiver = f->hostname } ;
    stralloc v = STRALLOC_ZERO ;
    int ok = spf_received_spf(&v, &q, &f->spf) ;
    for (size_t i = 0 ; ok && i < v.len ; i++)
      if (v.s[i] == '\r' || v.s[i] == '\n' || v.s[i] == '\t') v.s[i] = ' ' ;
    if (ok) ok = fold(sa, "Received-SPF:", v.s, v.len) ;
    stralloc_free(&v) ;
    if (!ok) return 0 ;
  }
  return 1 ;
}

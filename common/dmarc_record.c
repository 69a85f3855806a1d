/* ISC license. */

/* DMARC policy records, RFC 7489 §6.3 and the ABNF of §6.4:
 * - the DKIM tag-list syntax (§6.3 refers to RFC 6376 §3.2): a
 *   malformed list, or a tag twice (names compared ignoring case, as
 *   ABNF strings are), makes the record unusable;
 * - "v=DMARC1" first, the value exactly so (§6.3 "v"); else it is not a
 *   DMARC record at all and is discarded (§6.6.3);
 * - "p" second (§6.3: v and p "MUST appear in that order"); a p= that
 *   is missing, misplaced or not one of the three words, like an
 *   invalid sp= or np=, falls back to p=none when rua= holds a valid
 *   URI, and otherwise makes the record unusable (§6.6.3 step 6);
 * - any other tag with a value that does not parse is ignored and its
 *   default used ("Syntax errors in the remainder of the record SHOULD
 *   be discarded in favor of default values", §6.3); unknown tags are
 *   ignored; an rf= format we do not know is ignored (§6.3 "rf"). */

#include <string.h>
#include <strings.h>

#include "common/dmarc.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

typedef struct span_s span ;
struct span_s
{
  char const *s ;
  size_t len ;
} ;

static span trim (char const *s, size_t len)
{
  span x ;
  while (len && IS_WSP(*s)) { s++ ; len-- ; }
  while (len && IS_WSP(s[len-1])) len-- ;
  x.s = s ; x.len = len ;
  return x ;
}

static int is (span v, char const *word)
{
  size_t n = strlen(word) ;
  return v.len == n && !strncasecmp(v.s, word, n) ;
}

static int policy (span v)
{
  if (is(v, "none")) return DMARC_P_NONE ;
  if (is(v, "quarantine")) return DMARC_P_QUARANTINE ;
  if (is(v, "reject")) return DMARC_P_REJECT ;
  return DMARC_P_UNSET ;
}

/* 1*DIGIT into *n, at most max. */
static int number (span v, uint64_t max, uint64_t *n)
{
  uint64_t x = 0 ;
  if (!v.len) return 0 ;
  for (size_t i = 0 ; i < v.len ; i++)
  {
    if (!IS_DIGIT(v.s[i])) return 0 ;
    if (x > (max - (uint64_t)(v.s[i] - '0')) / 10) return 0 ;
    x = x * 10 + (uint64_t)(v.s[i] - '0') ;
  }
  *n = x ;
  return 1 ;
}

/* Calls item on each element of a list separated by sep, with WSP
 * around the separators; 0 if an element is empty or item refuses. */
typedef int item_fn (span, void *) ;
static int each (span v, char sep, item_fn *item, void *ctx)
{
  size_t i = 0 ;
  if (!v.len) return 0 ;
  for (;;)
  {
    size_t j = i ;
    while (j < v.len && v.s[j] != sep) j++ ;
    {
      span e = trim(v.s + i, j - i) ;
      if (!e.len || !(*item)(e, ctx)) return 0 ;
    }
    if (j == v.len) return 1 ;
    i = j + 1 ;
  }
}

static int fo_item (span e, void *ctx)
{
  unsigned int *fo = ctx ;
  if (e.len != 1) return 0 ;
  switch (e.s[0])
  {
    case '0' : *fo |= DMARC_FO_0 ; return 1 ;
    case '1' : *fo |= DMARC_FO_1 ; return 1 ;
    case 'd' : case 'D' : *fo |= DMARC_FO_D ; return 1 ;
    case 's' : case 'S' : *fo |= DMARC_FO_S ; return 1 ;
    default : return 0 ;
  }
}

/* Keyword (RFC 5321 §4.1.2: Ldh-str, a letter or digit at both ends) */
static int rf_item (span e, void *ctx)
{
  int *afrf = ctx ;
  for (size_t i = 0 ; i < e.len ; i++)
    if (!(IS_ALPHA(e.s[i]) || IS_DIGIT(e.s[i]) || (e.s[i] == '-' && i && i + 1 < e.len))) return 0 ;
  if (is(e, "afrf")) *afrf = 1 ;
  return 1 ;
}

static int ishex (char c)
{
  return IS_DIGIT(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ;
}

typedef struct urilist_s urilist ;
struct urilist_s
{
  dmarc_uri *u ;
  unsigned int n ;
} ;

/* dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (§6.4),
 * URI as RFC 3986's absolute form: scheme ":" then URI characters;
 * "," and "!" inside must be %-encoded (§6.2). */
static int uri_item (span e, void *ctx)
{
  urilist *l = ctx ;
  dmarc_uri u ;
  size_t end = e.len, i ;
  memset(&u, 0, sizeof(u)) ;
  for (i = e.len ; i > 0 ; i--) if (e.s[i-1] == '!') break ;
  if (i)
  {
    span num ;
    end = i - 1 ;
    num.s = e.s + i ;
    num.len = e.len - i ;
    if (num.len && !IS_DIGIT(num.s[num.len-1]))
    {
      char c = num.s[num.len-1] | 0x20 ;
      if (c != 'k' && c != 'm' && c != 'g' && c != 't') return 0 ;
      u.unit = c ;
      num.len-- ;
    }
    if (!number(num, UINT64_MAX, &u.size)) return 0 ;
    u.has_size = 1 ;
  }
  if (!end || end > DMARC_URI_MAX || !IS_ALPHA(e.s[0])) return 0 ;
  for (i = 1 ; i < end && e.s[i] != ':' ; i++)
    if (!(IS_ALPHA(e.s[i]) || IS_DIGIT(e.s[i]) || e.s[i] == '+' || e.s[i] == '-' || e.s[i] == '.')) return 0 ;
  if (i >= end - 1) return 0 ;    /* no ":" or nothing after it */
  for (size_t k = i + 1 ; k < end ; k++)
  {
    unsigned char c = e.s[k] ;
    if (c == '%')
    {
      if (k + 2 >= end || !ishex(e.s[k+1]) || !ishex(e.s[k+2])) return 0 ;
      k += 2 ;
      continue ;
    }
    if (!c || !(IS_ALPHA(c) || IS_DIGIT(c) || strchr("-._~$&'()*+;=:@/?#[]", c))) return 0 ;
  }
  memcpy(u.uri, e.s, end) ;
  u.uri[end] = 0 ;
  u.mailto = i == 6 && !strncasecmp(e.s, "mailto", 6) ;
  if (l->n < DMARC_URIS_MAX) l->u[l->n++] = u ;
  return 1 ;
}

static int uris (span v, dmarc_uri *u, unsigned int *n)
{
  urilist l = { .u = u, .n = 0 } ;
  if (!each(v, ',', &uri_item, &l)) { *n = 0 ; return 0 ; }
  *n = l.n ;
  return 1 ;
}

/* Does s start with "v" "=" "DMARC1", then the end or ";"? */
static int starts_dmarc1 (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && IS_WSP(s[i])) i++ ;
  if (i >= len || (s[i] | 0x20) != 'v') return 0 ;
  i++ ;
  while (i < len && IS_WSP(s[i])) i++ ;
  if (i >= len || s[i] != '=') return 0 ;
  i++ ;
  while (i < len && IS_WSP(s[i])) i++ ;
  if (len - i < 6 || memcmp(s + i, "DMARC1", 6)) return 0 ;
  i += 6 ;
  while (i < len && IS_WSP(s[i])) i++ ;
  return i == len || s[i] == ';' ;
}

int dmarc_record_parse (dmarc_record *r, char const *s, size_t len, char const **why)
{
  static dkim_tags t ;
  int pbad = 0, ruaok = 0 ;
  memset(r, 0, sizeof(*r)) ;
  r->pct = 100 ;
  r->ri = 86400 ;
  r->fo = DMARC_FO_0 ;
  r->rf_afrf = 1 ;
  if (len > DMARC_RECORD_MAX) return (*why = "record too long", starts_dmarc1(s, len) ? -1 : 0) ;
  if (!starts_dmarc1(s, len)) return (*why = "not a DMARC1 record", 0) ;
  if (!dkim_tags_parse(&t, s, len, why)) return -1 ;
  for (unsigned int i = 0 ; i < t.n ; i++)
    for (unsigned int j = 0 ; j < i ; j++)
      if (t.tag[i].namelen == t.tag[j].namelen && !strncasecmp(s + t.tag[i].name, s + t.tag[j].name, t.tag[i].namelen))
        return (*why = "duplicate tag", -1) ;

  for (unsigned int i = 1 ; i < t.n ; i++)
  {
    span name = { .s = s + t.tag[i].name, .len = t.tag[i].namelen } ;
    span v = trim(s + t.tag[i].value, t.tag[i].valuelen) ;
    if (is(name, "p"))
    {
      r->p = i == 1 ? policy(v) : DMARC_P_UNSET ;
      if (!r->p) pbad = 1 ;
    }
    else if (is(name, "sp") || is(name, "np"))
    {
      int x = policy(v) ;
      if (!x) pbad = 1 ;
      if (is(name, "sp")) r->sp = x ; else r->np = x ;
    }
    else if (is(name, "adkim") || is(name, "aspf"))
    {
      int *strict = is(name, "adkim") ? &r->adkim_strict : &r->aspf_strict ;
      if (is(v, "s")) *strict = 1 ;
      else if (!is(v, "r") && !r->ignored) r->ignored = is(name, "adkim") ? "adkim" : "aspf" ;
    }
    else if (is(name, "pct"))
    {
      uint64_t n ;
      if (v.len <= 3 && number(v, 100, &n)) r->pct = (unsigned int)n ;
      else if (!r->ignored) r->ignored = "pct" ;
    }
    else if (is(name, "ri"))
    {
      uint64_t n ;
      if (number(v, UINT32_MAX, &n)) r->ri = (uint32_t)n ;
      else if (!r->ignored) r->ignored = "ri" ;
    }
    else if (is(name, "fo"))
    {
      unsigned int fo = 0 ;
      if (each(v, ':', &fo_item, &fo)) r->fo = fo ;
      else if (!r->ignored) r->ignored = "fo" ;
    }
    else if (is(name, "rf"))
    {
      int afrf = 0 ;
      if (each(v, ':', &rf_item, &afrf)) r->rf_afrf = afrf ;
      else if (!r->ignored) r->ignored = "rf" ;
    }
    else if (is(name, "rua"))
    {
      if (uris(v, r->rua, &r->nrua)) ruaok = 1 ;
      else if (!r->ignored) r->ignored = "rua" ;
    }
    else if (is(name, "ruf"))
    {
      if (!uris(v, r->ruf, &r->nruf) && !r->ignored) r->ignored = "ruf" ;
    }
    /* anything else: unknown, ignored (§6.3) */
  }
  if (!r->p) pbad = 1 ;
  if (pbad)
  {
    if (!ruaok) return (*why = r->p ? "invalid sp= or np=, and no valid rua=" : "no valid p= second, and no valid rua=", -1) ;
    r->p = r->sp = r->np = DMARC_P_NONE ;
    r->p_fallback = 1 ;
  }
  return 1 ;
}

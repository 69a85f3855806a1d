/* ISC license. */

/* Content-Type (RFC 2045 §5.1) and Content-Disposition (RFC 2183 §2)
 * values: a type (or disposition word), then "; name=value" pairs.
 * Junk between parameters is skipped up to the next ';', the way
 * real-world readers cope with unquoted values holding spaces. */

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/bytestr.h>
#include "common/mime-internal.h"

static int cat_lower (stralloc *sa, char const *s, size_t n)
{
  size_t base = sa->len ;
  if (!stralloc_catb(sa, s, n) || !stralloc_0(sa)) return 0 ;
  case_lowerb(sa->s + base, n) ;
  return 1 ;
}

int mime_ctype_parse (stralloc *sa, genalloc *ga, char const *v, size_t vlen, int notype, size_t *type, size_t *subtype)
{
  int valid = 0 ;
  size_t pos = mime_skip_cfws(v, vlen, 0) ;
  size_t e = mime_token_end(v, vlen, pos) ;
  *type = sa->len ;
  if (!cat_lower(sa, v + pos, e - pos)) return -1 ;
  *subtype = sa->len ;
  if (e > pos)
  {
    pos = mime_skip_cfws(v, vlen, e) ;
    if (notype) valid = 1 ;
    else if (pos < vlen && v[pos] == '/')
    {
      pos = mime_skip_cfws(v, vlen, pos + 1) ;
      e = mime_token_end(v, vlen, pos) ;
      if (e > pos)
      {
        if (!cat_lower(sa, v + pos, e - pos)) return -1 ;
        valid = 1 ;
        pos = e ;
      }
    }
  }
  if (!valid) sa->len = *subtype ;
  if (*subtype == sa->len && !stralloc_0(sa)) return -1 ;

  for (unsigned int guard = 0 ; pos < vlen && guard < 1000 ; guard++)
  {
    mime_rawparam p ;
    pos = mime_skip_cfws(v, vlen, pos) ;
    while (pos < vlen && v[pos] != ';')
    {
      if (v[pos] == '"') pos = mime_quoted(0, v, vlen, pos) ;
      else pos++ ;
    }
    if (pos >= vlen) break ;
    pos = mime_skip_cfws(v, vlen, pos + 1) ;
    e = mime_token_end(v, vlen, pos) ;
    if (e == pos) continue ;
    p.name = sa->len ;
    if (!cat_lower(sa, v + pos, e - pos)) return -1 ;
    pos = mime_skip_cfws(v, vlen, e) ;
    if (pos >= vlen || v[pos] != '=') { sa->len = p.name ; continue ; }
    pos = mime_skip_cfws(v, vlen, pos + 1) ;
    p.value = sa->len ;
    if (pos < vlen && v[pos] == '"')
    {
      pos = mime_quoted(sa, v, vlen, pos) ;
      if (pos == (size_t)-1) return -1 ;
    }
    else
    {
      e = mime_token_end(v, vlen, pos) ;
      if (!stralloc_catb(sa, v + pos, e - pos)) return -1 ;
      pos = e ;
    }
    if (!stralloc_0(sa)) return -1 ;
    if (!genalloc_append(mime_rawparam, ga, &p)) return -1 ;
  }
  return valid ;
}

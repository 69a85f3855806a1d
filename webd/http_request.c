/* ISC license. */

/* The request head parser (RFC 9112). Strict where leniency has been a
 * smuggling or confusion vector (RFC 9112 §11.2): no whitespace between
 * a field name and its colon (§5.1), no obs-fold (§5.2), no bare CR
 * (§2.2), one Host (§3.2), one Content-Length value, no
 * Transfer-Encoding at all (webd never needs a chunked request body). */

#include <string.h>

#include <skalibs/bytestr.h>

#include "http_request.h"

static int is_tchar (unsigned char c)
{
  /* RFC 9110 §5.6.2 */
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1 ;
  return c && !!strchr("!#$%&'*+-.^_`|~", c) ;
}

static size_t skip_empty_line (char const *s, size_t len)
{
  if (len >= 1 && s[0] == '\n') return 1 ;
  if (len >= 2 && s[0] == '\r' && s[1] == '\n') return 2 ;
  return 0 ;
}

long http_head_end (char const *s, size_t len, unsigned int *status)
{
  size_t i = skip_empty_line(s, len), fields ;
  char const *lf = memchr(s + i, '\n', len - i) ;
  if (!lf)
  {
    if (len - i > HTTP_LINE_MAX) { *status = 414 ; return -1 ; }
    return 0 ;
  }
  if ((size_t)(lf - s) + 1 - i > HTTP_LINE_MAX) { *status = 414 ; return -1 ; }
  fields = (size_t)(lf - s) + 1 ;
  i = fields ;
  for (;;)
  {
    size_t e = skip_empty_line(s + i, len - i) ;
    if (e) return (long)(i + e) ;
    lf = memchr(s + i, '\n', len - i) ;
    if (!lf)
    {
      if (len - fields > HTTP_FIELDS_BYTES_MAX) { *status = 431 ; return -1 ; }
      return 0 ;
    }
    i = (size_t)(lf - s) + 1 ;
    if (i - fields > HTTP_FIELDS_BYTES_MAX) { *status = 431 ; return -1 ; }
  }
}

/* uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2), into host:
 * lower-cased, without the port and a final dot. 1, or 0 if malformed. */
static int host_parse (char const *s, size_t len, char *host)
{
  size_t i = 0, w = 0 ;
  if (!len) { host[0] = 0 ; return 1 ; }
  if (s[0] == '[')
  {
    for (i = 1 ; i < len && s[i] != ']' ; i++)
    {
      unsigned char c = (unsigned char)s[i] ;
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) return 0 ;
    }
    if (i == len || i == 1) return 0 ;
    i++ ;
  }
  else
  {
    for ( ; i < len && s[i] != ':' ; i++)
    {
      unsigned char c = (unsigned char)s[i] ;
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_')) return 0 ;
    }
    if (!i) return 0 ;
  }
  if (i > HTTP_HOST_MAX) return 0 ;
  for (w = 0 ; w < i ; w++) host[w] = s[w] >= 'A' && s[w] <= 'Z' ? s[w] + 32 : s[w] ;
  if (w > 1 && host[w-1] == '.' && host[0] != '[') w-- ;
  host[w] = 0 ;
  if (i < len)
  {
    size_t digits = 0 ;
    if (s[i++] != ':') return 0 ;
    for ( ; i < len ; i++, digits++) if (s[i] < '0' || s[i] > '9' || digits >= 5) return 0 ;
  }
  return 1 ;
}

/* The target: origin-form, or absolute-form (whose authority is the
 * host, RFC 9112 §3.2.2). 1, or 0 if malformed. */
static int target_parse (http_request *r, char const *s, size_t t, size_t tlen, int *has_authority)
{
  size_t p = t, end = t + tlen, q ;
  *has_authority = 0 ;
  for (size_t i = t ; i < end ; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '#') return 0 ;
  if (s[t] != '/')
  {
    size_t a ;
    if (tlen >= 7 && !case_diffb(s + t, 7, "http://")) a = t + 7 ;
    else if (tlen >= 8 && !case_diffb(s + t, 8, "https://")) a = t + 8 ;
    else return 0 ;
    p = a ;
    while (p < end && s[p] != '/' && s[p] != '?') p++ ;
    if (p == a || byte_chr(s + a, p - a, '@') < p - a) return 0 ;   /* no userinfo */
    if (!host_parse(s + a, p - a, r->host)) return 0 ;
    *has_authority = 1 ;
  }
  q = p + byte_chr(s + p, end - p, '?') ;
  r->path = p ;
  r->pathlen = q - p ;
  if (q < end) { r->query = q + 1 ; r->querylen = end - q - 1 ; }
  return 1 ;
}

static int field_value_ok (unsigned char c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f) ;
}

int http_request_parse (http_request *r, char const *s, size_t len, unsigned int *status)
{
  size_t i = skip_empty_line(s, len), lf, end, sp1, sp2 ;
  unsigned int hosts = 0 ;
  int has_authority = 0 ;
  memset(r, 0, sizeof(*r)) ;
  *status = 400 ;

  /* request-line = method SP request-target SP HTTP-version */
  lf = i + byte_chr(s + i, len - i, '\n') ;
  if (lf >= len) return 0 ;
  end = lf > i && s[lf-1] == '\r' ? lf - 1 : lf ;
  sp1 = i + byte_chr(s + i, end - i, ' ') ;
  if (sp1 >= end || sp1 == i || sp1 - i > 16) return 0 ;
  for (size_t k = i ; k < sp1 ; k++) if (!is_tchar((unsigned char)s[k])) return 0 ;
  sp2 = sp1 + 1 + byte_chr(s + sp1 + 1, end - sp1 - 1, ' ') ;
  if (sp2 >= end || sp2 == sp1 + 1) return 0 ;
  if (end - sp2 - 1 != 8 || memcmp(s + sp2 + 1, "HTTP/", 5) || s[sp2 + 7] != '.'
   || s[sp2 + 6] < '0' || s[sp2 + 6] > '9' || s[sp2 + 8] < '0' || s[sp2 + 8] > '9') return 0 ;
  if (s[sp2 + 6] != '1') { *status = 505 ; return 0 ; }
  r->minor = s[sp2 + 8] == '0' ? 0 : 1 ;   /* a higher 1.x is served as 1.1 (RFC 9110 §6.2) */
  if (sp1 - i == 3 && !memcmp(s + i, "GET", 3)) r->method = HTTP_GET ;
  else if (sp1 - i == 4 && !memcmp(s + i, "HEAD", 4)) r->method = HTTP_HEAD ;
  else if (sp1 - i == 4 && !memcmp(s + i, "POST", 4)) r->method = HTTP_POST ;
  else r->method = HTTP_OTHER ;
  if (!target_parse(r, s, sp1 + 1, sp2 - sp1 - 1, &has_authority))
  {
    if (r->method != HTTP_OTHER) return 0 ;
    r->pathlen = 0 ;   /* "*" or authority-form: the method is refused anyway */
  }

  /* field-line = field-name ":" OWS field-value OWS */
  i = lf + 1 ;
  for (;;)
  {
    size_t colon, v, ve ;
    http_field *f ;
    if (i >= len) return 0 ;
    lf = i + byte_chr(s + i, len - i, '\n') ;
    if (lf >= len) return 0 ;
    end = lf > i && s[lf-1] == '\r' ? lf - 1 : lf ;
    if (end == i) break ;
    if (s[i] == ' ' || s[i] == '\t') return 0 ;   /* obs-fold */
    colon = i + byte_chr(s + i, end - i, ':') ;
    if (colon >= end || colon == i) return 0 ;
    for (size_t k = i ; k < colon ; k++) if (!is_tchar((unsigned char)s[k])) return 0 ;
    for (size_t k = colon + 1 ; k < end ; k++) if (!field_value_ok((unsigned char)s[k])) return 0 ;
    v = colon + 1 ;
    while (v < end && (s[v] == ' ' || s[v] == '\t')) v++ ;
    ve = end ;
    while (ve > v && (s[ve-1] == ' ' || s[ve-1] == '\t')) ve-- ;
    if (r->nfields >= HTTP_FIELDS_MAX) { *status = 431 ; return 0 ; }
    f = r->field + r->nfields++ ;
    f->name = i ; f->namelen = colon - i ; f->value = v ; f->valuelen = ve - v ;
    if (f->namelen == 4 && !case_diffb(s + i, 4, "host"))
    {
      char h[HTTP_HOST_MAX + 1] ;
      if (++hosts > 1 || !host_parse(s + v, ve - v, h)) return 0 ;
      if (!has_authority) memcpy(r->host, h, strlen(h) + 1) ;
    }
    else if (f->namelen == 14 && !case_diffb(s + i, 14, "content-length"))
    {
      uint64_t n = 0 ;
      if (v == ve || ve - v > 18) return 0 ;
      for (size_t k = v ; k < ve ; k++)
      {
        if (s[k] < '0' || s[k] > '9') return 0 ;
        n = n * 10 + (uint64_t)(s[k] - '0') ;
      }
      if (r->has_length && n != r->content_length) return 0 ;
      r->content_length = n ;
      r->has_length = 1 ;
    }
    else if (f->namelen == 17 && !case_diffb(s + i, 17, "transfer-encoding"))
    {
      *status = 501 ;
      return 0 ;
    }
    i = lf + 1 ;
  }
  if (r->minor == 1 && hosts != 1) return 0 ;
  *status = 0 ;
  return 1 ;
}

/* ISC license. */

#include <string.h>

#include "queued/qfreply.h"

/* A field name: printable ASCII except ':' (RFC 5322 2.2, ftext). */
static size_t field_name (char const *s, size_t len)
{
  size_t n = 0 ;
  while (n < len && s[n] != ':')
  {
    unsigned char c = s[n] ;
    if (c < 33 || c > 126) return 0 ;
    n++ ;
  }
  return n < len ? n : 0 ;
}

/* Field bodies: no control byte but HTAB; 8-bit bytes may be UTF-8
 * (RFC 6532), which is the filter's business. */
static int body_ok (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if ((c < 32 && c != '\t') || c == 127) return 0 ;
  }
  return 1 ;
}

static int word (char const *s, size_t len, char const *w)
{
  size_t n = strlen(w) ;
  return len >= n && !memcmp(s, w, n) && (len == n || s[n] == ' ') ;
}

/* "remove <Field-Name> <n>" LF: one line; returns its length with the LF,
 * 0 if malformed, and its parts. */
static size_t remove_line (char const *s, size_t len, char const **name, size_t *namelen, unsigned int *n)
{
  char const *nl = memchr(s, '\n', len) ;
  size_t l, k, i ;
  unsigned int v = 0 ;
  if (!nl) return 0 ;
  l = (size_t)(nl - s) ;
  if (l < 10 || memcmp(s, "remove ", 7)) return 0 ;
  for (k = 7 ; k < l && s[k] != ' ' ; k++)
  {
    unsigned char c = s[k] ;
    if (c < 33 || c > 126 || c == ':') return 0 ;
  }
  if (k == 7 || k >= l - 1 || k - 7 > 76) return 0 ;
  for (i = k + 1 ; i < l ; i++)
  {
    if (s[i] < '0' || s[i] > '9' || i - k > 4) return 0 ;
    v = v * 10 + (unsigned int)(s[i] - '0') ;
  }
  if (!v || v > QFREPLY_REMOVE_N_MAX || s[k + 1] == '0') return 0 ;
  *name = s + 7 ; *namelen = k - 7 ; *n = v ;
  return l + 1 ;
}

static int removes_ok (char const *s, size_t len)
{
  size_t pos = 0 ;
  unsigned int lines = 0 ;
  while (pos < len)
  {
    char const *name ;
    size_t namelen ;
    unsigned int n ;
    size_t l = remove_line(s + pos, len - pos, &name, &namelen, &n) ;
    if (!l || ++lines > QFREPLY_REMOVE_MAX) return 0 ;
    pos += l ;
  }
  return 1 ;
}

int qfreply_remove_next (qfreply const *r, size_t *pos, char const **name, size_t *namelen, unsigned int *n)
{
  size_t l ;
  if (*pos >= r->removeslen) return 0 ;
  l = remove_line(r->removes + *pos, r->removeslen - *pos, name, namelen, n) ;
  if (!l) return 0 ;
  *pos += l ;
  return 1 ;
}

#define FAIL(reason) do { *why = (reason) ; return 0 ; } while (0)

int qfreply_parse (char const *s, size_t len, qfreply *r, char const **why)
{
  size_t pos = 0 ;
  int fields = 0 ;
  if (len > QFREPLY_MAX) FAIL("answer too long") ;
  if (!len) FAIL("empty answer") ;
  /* The header fields. */
  for (;;)
  {
    char const *nl ;
    size_t n ;
    if (pos >= len) FAIL("no verdict line") ;
    nl = memchr(s + pos, '\n', len - pos) ;
    n = nl ? (size_t)(nl - s) - pos : len - pos ;
    if (n > QFREPLY_LINE_MAX) FAIL("line too long") ;
    if (!n)
    {
      if (!nl) FAIL("no verdict line") ;
      r->hdrlen = pos ;
      pos++ ;
      break ;
    }
    if (s[pos] == ' ' || s[pos] == '\t')
    {
      if (!fields) FAIL("continuation line without a field") ;
      if (!body_ok(s + pos, n)) FAIL("control character in a header field") ;
    }
    else
    {
      size_t k = field_name(s + pos, n) ;
      if (!k)
      {
        /* Not a field: the verdict, with no header and no empty line. */
        if (fields) FAIL("malformed header field") ;
        r->hdrlen = 0 ;
        break ;
      }
      if (!body_ok(s + pos + k + 1, n - k - 1)) FAIL("control character in a header field") ;
      fields = 1 ;
    }
    if (!nl) FAIL("no verdict line") ;
    pos += n + 1 ;
  }
  /* The verdict line, then nothing. */
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t n = nl ? (size_t)(nl - s) - pos : len - pos ;
    char const *v = s + pos ;
    size_t w ;
    r->removes = nl ? nl + 1 : s + len ;
    r->removeslen = nl ? len - (size_t)(nl - s) - 1 : 0 ;
    if (!removes_ok(r->removes, r->removeslen)) FAIL("bytes after the verdict line") ;
    if (word(v, n, "deliver")) { r->verdict = QFV_DELIVER ; w = 7 ; }
    else if (word(v, n, "junk")) { r->verdict = QFV_JUNK ; w = 4 ; }
    else if (word(v, n, "discard")) { r->verdict = QFV_DISCARD ; w = 7 ; }
    else if (word(v, n, "tempfail")) { r->verdict = QFV_TEMPFAIL ; w = 8 ; }
    else FAIL("unknown verdict") ;
    if (w < n) w++ ;   /* the space */
    if (n - w > QFREPLY_TEXT_MAX) FAIL("verdict text too long") ;
    for (size_t i = w ; i < n ; i++)
    {
      unsigned char c = v[i] ;
      if (c < 32 || c == 127) FAIL("control character in the verdict text") ;
    }
    r->text = v + w ;
    r->textlen = n - w ;
  }
  return 1 ;
}

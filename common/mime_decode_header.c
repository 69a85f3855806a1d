/* ISC license. */

/* RFC 2047 encoded words in header text, to UTF-8. Read leniently, as
 * mail clients do: a word is decoded wherever it stands (not only
 * between white space), white space between two encoded words is
 * dropped (§6.2), and adjacent words in the same charset are joined
 * before conversion so that a character split across two words (common
 * with UTF-8 in B encoding) comes out whole. Raw 8-bit text is taken as
 * UTF-8 when valid, else Latin-1. */

#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include "common/hexdigit.h"
#include "common/mime.h"
#include "common/mime-internal.h"

/* Parses "=?cs?X?text?=" at s[i]: returns its end, 0 if not a word. */
static size_t word_at (char const *s, size_t len, size_t i, size_t *cs, size_t *cslen, char *enc, size_t *tx, size_t *txlen)
{
  size_t k = i + 2 ;
  size_t q ;
  if (i + 2 > len || s[i] != '=' || s[i+1] != '?') return 0 ;
  while (k < len && s[k] != '?' && s[k] != ' ' && s[k] != '\t' && k - i < 80) k++ ;
  if (k >= len || s[k] != '?' || k == i + 2) return 0 ;
  *cs = i + 2 ; *cslen = k - i - 2 ;
  if (k + 2 >= len || s[k+2] != '?') return 0 ;
  *enc = s[k+1] | 0x20 ;
  if (*enc != 'b' && *enc != 'q') return 0 ;
  q = k + 3 ;
  while (q + 1 < len && !(s[q] == '?' && s[q+1] == '=') && s[q] != ' ' && s[q] != '\t') q++ ;
  if (q + 1 >= len || s[q] != '?' || s[q+1] != '=') return 0 ;
  *tx = k + 3 ; *txlen = q - k - 3 ;
  return q + 2 ;
}

/* Q encoding (RFC 2047 §4.2) */
static int decode_word (stralloc *bytes, char const *s, size_t len, char enc)
{
  (void)enc ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    int b ;
    if (c == '_') c = ' ' ;
    else if (c == '=' && i + 2 < len && (b = hex_pair(s + i + 1)) >= 0)
    {
      c = (char)b ;
      i += 2 ;
    }
    if (!stralloc_catb(bytes, &c, 1)) return 0 ;
  }
  return 1 ;
}

/* Pending decoded bytes of adjacent words in one charset, and base64
 * text not yet a whole number of quanta: some encoders split a word's
 * base64 anywhere, so an unpadded tail is carried to the next word. */
typedef struct pend_s pend ;
struct pend_s
{
  stralloc bytes ;
  stralloc b64 ;
  char cs[64] ;
  int on ;
} ;

static int flush (stralloc *sa, pend *p)
{
  if (!p->on) return 1 ;
  if (p->b64.len && !mime_decode_body(&p->bytes, p->b64.s, p->b64.len, "base64")) return 0 ;
  p->b64.len = 0 ;
  p->on = 0 ;
  if (!mime_to_utf8(sa, p->bytes.s ? p->bytes.s : "", p->bytes.len, p->cs)) return 0 ;
  p->bytes.len = 0 ;
  return 1 ;
}

static int add_word (pend *p, char const *s, size_t len, char enc)
{
  if (enc == 'b')
  {
    if (!stralloc_catb(&p->b64, s, len)) return 0 ;
    if (p->b64.len % 4 && !memchr(s, '=', len)) return 1 ;
    if (!mime_decode_body(&p->bytes, p->b64.s, p->b64.len, "base64")) return 0 ;
    p->b64.len = 0 ;
    return 1 ;
  }
  if (p->b64.len)
  {
    if (!mime_decode_body(&p->bytes, p->b64.s, p->b64.len, "base64")) return 0 ;
    p->b64.len = 0 ;
  }
  return decode_word(&p->bytes, s, len, enc) ;
}

int mime_decode_header (stralloc *sa, char const *v, size_t vlen)
{
  stralloc u = STRALLOC_ZERO ;
  pend p = { .bytes = STRALLOC_ZERO, .b64 = STRALLOC_ZERO, .cs = "", .on = 0 } ;
  int ok = 0 ;
  size_t i = 0, j = 0 ;
  if (!mime_unfold(&u, v, vlen)) goto end ;
  while (j + 1 < u.len)
  {
    size_t csoff, cslen, tx, txlen, e ;
    char enc ;
    e = word_at(u.s, u.len, j, &csoff, &cslen, &enc, &tx, &txlen) ;
    if (!e) { j++ ; continue ; }
    {
      /* the text before the word; only white space between two words is dropped */
      int onlyspace = 1 ;
      for (size_t k = i ; k < j ; k++) if (u.s[k] != ' ' && u.s[k] != '\t') { onlyspace = 0 ; break ; }
      if (!(p.on && onlyspace) && j > i)
      {
        if (!flush(sa, &p)) goto end ;
        if (!mime_raw_to_utf8(sa, u.s + i, j - i)) goto end ;
      }
    }
    if (cslen > 63) cslen = 63 ;
    if (p.on && (strlen(p.cs) != cslen || strncasecmp(p.cs, u.s + csoff, cslen)) && !flush(sa, &p)) goto end ;
    if (!p.on)
    {
      memcpy(p.cs, u.s + csoff, cslen) ; p.cs[cslen] = 0 ;
      p.on = 1 ;
    }
    if (!add_word(&p, u.s + tx, txlen, enc)) goto end ;
    i = j = e ;
  }
  if (!flush(sa, &p)) goto end ;
  if (u.len > i && !mime_raw_to_utf8(sa, u.s + i, u.len - i)) goto end ;
  ok = 1 ;
 end:
  stralloc_free(&u) ;
  stralloc_free(&p.bytes) ;
  stralloc_free(&p.b64) ;
  return ok ;
}

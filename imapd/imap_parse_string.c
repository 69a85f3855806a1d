/* ISC license. */

/* string = quoted / literal (RFC 9051 §9), literal8 (RFC 3516 §4.1).
 * QUOTED-CHAR is TEXT-CHAR but quoted-specials, or "\" quoted-specials,
 * or (UTF8=ACCEPT, RFC 9051 / RFC 6855) a UTF-8 sequence. */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int quoted_raw (imap_cursor *c, char const **s, size_t *len)
{
  size_t i = c->pos + 1 ;
  while (i < c->len)
  {
    unsigned char ch = c->s[i] ;
    if (ch == '"')
    {
      *s = c->s + c->pos + 1 ;
      *len = i - c->pos - 1 ;
      c->pos = i + 1 ;
      return 1 ;
    }
    if (ch == '\\')
    {
      if (i + 1 >= c->len || (c->s[i + 1] != '"' && c->s[i + 1] != '\\'))
        return imap_fail(c, "Invalid escape in quoted string") ;
      i += 2 ;
    }
    else if (!ch || ch == '\r' || ch == '\n') return imap_fail(c, "Invalid character in quoted string") ;
    else if (ch >= 0x80)
    {
      size_t n ;
      if (!c->utf8) return imap_fail(c, "8-bit character in quoted string (use a literal)") ;
      n = imap_utf8_seq((unsigned char const *)c->s + i, c->len - i) ;
      if (!n) return imap_fail(c, "Invalid UTF-8 in quoted string") ;
      i += n ;
    }
    else i++ ;
  }
  return imap_fail(c, "Unterminated quoted string") ;
}

static int literal_raw (imap_cursor *c, char const **s, size_t *len, int *binary, int binary_ok)
{
  size_t i = c->pos ;
  uint64_t n = 0 ;
  int digits = 0 ;
  *binary = 0 ;
  if (c->s[i] == '~')
  {
    if (!binary_ok) return imap_fail(c, "literal8 not allowed here") ;
    *binary = 1 ;
    i++ ;
  }
  if (i >= c->len || c->s[i] != '{') return imap_fail(c, "Expected a literal") ;
  i++ ;
  while (i < c->len && c->s[i] >= '0' && c->s[i] <= '9')
  {
    if (n > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(c->s[i] - '0')) / 10) return imap_fail(c, "Literal size too large") ;
    n = n * 10 + (uint64_t)(c->s[i++] - '0') ;
    digits = 1 ;
  }
  if (!digits) return imap_fail(c, "Invalid literal size") ;
  if (i < c->len && c->s[i] == '+') i++ ;
  if (c->len - i < 3 || c->s[i] != '}' || c->s[i + 1] != '\r' || c->s[i + 2] != '\n')
    return imap_fail(c, "Invalid literal header") ;
  i += 3 ;
  if (n > c->len - i) return imap_fail(c, "Literal data missing") ;
  *s = c->s + i ;
  *len = n ;
  c->pos = i + n ;
  if (!*binary)
  {
    size_t k = 0 ;
    for (; k < n ; k++) if (!(*s)[k]) return imap_fail(c, "NUL in a literal (use literal8, RFC 3516)") ;
  }
  return 1 ;
}

int imap_string_raw (imap_cursor *c, char const **s, size_t *len, int *quoted, int *binary)
{
  int binary_ok = *binary ;
  *quoted = 0 ;
  *binary = 0 ;
  if (c->pos >= c->len) return imap_fail(c, "Expected a string") ;
  if (c->s[c->pos] == '"')
  {
    *quoted = 1 ;
    return quoted_raw(c, s, len) ;
  }
  if (c->s[c->pos] == '{' || c->s[c->pos] == '~') return literal_raw(c, s, len, binary, binary_ok) ;
  return imap_fail(c, "Expected a string") ;
}

int imap_unquote_cat (stralloc *sa, char const *s, size_t len)
{
  size_t i = 0 ;
  if (!stralloc_readyplus(sa, len + 1)) return 0 ;
  while (i < len)
  {
    if (s[i] == '\\' && i + 1 < len) i++ ;
    sa->s[sa->len++] = s[i++] ;
  }
  return 1 ;
}

static int string_cat (imap_cursor *c, stralloc *sa, char const *s, size_t len, int quoted)
{
  if (quoted ? !imap_unquote_cat(sa, s, len) : !stralloc_catb(sa, s, len)) return imap_fail(c, "Out of memory") ;
  if (!stralloc_0(sa)) return imap_fail(c, "Out of memory") ;
  return 1 ;
}

int imap_string (imap_cursor *c, stralloc *sa)
{
  char const *s ;
  size_t len ;
  int quoted, binary = 0 ;
  if (!imap_string_raw(c, &s, &len, &quoted, &binary)) return 0 ;
  return string_cat(c, sa, s, len, quoted) ;
}

int imap_astring (imap_cursor *c, stralloc *sa)
{
  char const *s ;
  size_t len ;
  int ch = imap_peek(c) ;
  if (ch == '"' || ch == '{') return imap_string(c, sa) ;
  if (!imap_run(c, &imap_is_astring_char, &s, &len)) return imap_fail(c, "Expected an astring") ;
  return string_cat(c, sa, s, len, 0) ;
}

int imap_nstring (imap_cursor *c, stralloc *sa, int *isnil)
{
  *isnil = 0 ;
  if (imap_try_word(c, "NIL"))
  {
    *isnil = 1 ;
    return 1 ;
  }
  return imap_string(c, sa) ;
}

int imap_atom (imap_cursor *c, stralloc *sa)
{
  char const *s ;
  size_t len ;
  if (!imap_run(c, &imap_is_atom_char, &s, &len)) return imap_fail(c, "Expected an atom") ;
  return string_cat(c, sa, s, len, 0) ;
}

int imap_literal_ref (imap_cursor *c, char const **data, size_t *len, int *binary)
{
  if (c->pos >= c->len || (c->s[c->pos] != '{' && c->s[c->pos] != '~')) return imap_fail(c, "Expected a literal") ;
  return literal_raw(c, data, len, binary, 1) ;
}

int imap_mailbox (imap_cursor *c, stralloc *sa)
{
  size_t start = sa->len ;
  if (!imap_astring(c, sa)) return imap_fail(c, "Expected a mailbox name") ;
  /* RFC 9051 §5.1: INBOX is case-insensitive. */
  if (imap_word_is(sa->s + start, sa->len - start - 1, "INBOX"))
  {
    sa->len = start ;
    if (!stralloc_catb(sa, "INBOX", 6)) return imap_fail(c, "Out of memory") ;
  }
  return 1 ;
}

int imap_list_mailbox (imap_cursor *c, stralloc *sa)
{
  char const *s ;
  size_t len ;
  int ch = imap_peek(c) ;
  if (ch == '"' || ch == '{') return imap_string(c, sa) ;
  if (!imap_run(c, &imap_is_list_char, &s, &len)) return imap_fail(c, "Expected a mailbox pattern") ;
  return string_cat(c, sa, s, len, 0) ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>

#include "common/addr-internal.h"

/* RFC 5321 4.1.2:
 *   Mailbox         = Local-part "@" ( Domain / address-literal )
 *   Local-part      = Dot-string / Quoted-string
 *   Dot-string      = Atom *("." Atom)
 *   Quoted-string   = DQUOTE *QcontentSMTP DQUOTE
 *   QcontentSMTP    = qtextSMTP / quoted-pairSMTP
 *   qtextSMTP       = %d32-33 / %d35-91 / %d93-126
 *   quoted-pairSMTP = %d92 %d32-126
 * RFC 6531 3.3 adds UTF8-non-ascii to atext and qtextSMTP.
 *
 * The local part is stored in one canonical form, so that "a.b"@x and
 * a.b@x, or "a\b"@x and "ab"@x, are the same address (4.1.2: the quotes
 * and backslashes are not part of the local part): unquoted when its
 * content is a valid Dot-string, else quoted with a backslash before '"'
 * and '\' only. */

/* Is s[0..len) a Dot-string? s holds only octets already checked for
 * UTF-8 validity, so any octet >= 0x80 is part of a good sequence. */
static int is_dot_string (char const *s, size_t len)
{
  size_t i = 0 ;
  if (!len || s[0] == '.' || s[len-1] == '.') return 0 ;
  for (; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c == '.') { if (s[i-1] == '.') return 0 ; }
    else if (c < 0x80 && !addr_is_atext(c)) return 0 ;
  }
  return 1 ;
}

/* Dot-string at s; returns its length, 0 with errno. */
static size_t scan_dot_string (char const *s, size_t len, unsigned int flags)
{
  size_t i = 0 ;
  for (;;)
  {
    size_t start = i ;
    while (i < len)
    {
      unsigned char c = s[i] ;
      if (addr_is_atext(c)) i++ ;
      else if (c >= 0x80)
      {
        size_t n = addr_utf8_at(s + i, len - i, flags) ;
        if (!n) return 0 ;
        i += n ;
      }
      else break ;
    }
    if (i == start) return (errno = EINVAL, 0) ;
    if (i < len && s[i] == '.') { i++ ; continue ; }
    return i ;
  }
}

/* Quoted-string at s, its content unquoted into out (at most max
 * octets). Returns the length scanned, quotes included; *outlen set. */
static size_t scan_quoted (char const *s, size_t len, unsigned int flags, char *out, size_t max, size_t *outlen)
{
  size_t i = 1 ;
  size_t w = 0 ;
  if (!len || s[0] != '"') return (errno = EINVAL, 0) ;
  for (;;)
  {
    unsigned char c ;
    size_t n = 1 ;
    char const *from ;
    if (i >= len) return (errno = EINVAL, 0) ;
    c = s[i] ;
    if (c == '"') break ;
    if (c == '\\')
    {
      if (i + 1 >= len) return (errno = EINVAL, 0) ;
      c = s[i+1] ;
      if (c >= 0x80) return (errno = flags & ADDR_UTF8_OK ? EINVAL : EILSEQ, 0) ;
      if (c < 32 || c > 126) return (errno = EINVAL, 0) ;
      from = s + i + 1 ;
      i += 2 ;
    }
    else if (c >= 0x80)
    {
      n = addr_utf8_at(s + i, len - i, flags) ;
      if (!n) return 0 ;
      from = s + i ;
      i += n ;
    }
    else if (c >= 32 && c <= 126)
    {
      from = s + i ;
      i++ ;
    }
    else return (errno = EINVAL, 0) ;
    if (n > max - w) return (errno = ENAMETOOLONG, 0) ;
    memcpy(out + w, from, n) ;
    w += n ;
  }
  *outlen = w ;
  return i + 1 ;
}

/* Writes content quoted with minimal escapes. Returns the length, or 0
 * if it does not fit in max. */
static size_t quote (char const *content, size_t len, char *out, size_t max)
{
  size_t i = 0, w = 0 ;
  if (max < 2) return 0 ;
  out[w++] = '"' ;
  for (; i < len ; i++)
  {
    int esc = content[i] == '"' || content[i] == '\\' ;
    if (w + esc + 2 > max) return 0 ;
    if (esc) out[w++] = '\\' ;
    out[w++] = content[i] ;
  }
  out[w++] = '"' ;
  return w ;
}

size_t addr_scan_mailbox (char const *s, size_t len, mailaddr *a, unsigned int flags)
{
  size_t const localmax = flags & ADDR_LIMITS_LAX ? ADDR_PATH_MAX : ADDR_LOCAL_MAX ;
  size_t const domainmax = flags & ADDR_LIMITS_LAX ? ADDR_PATH_MAX : ADDR_DOMAIN_MAX ;
  size_t i, llen, dlen ;
  int literal = 0 ;
  if (len && s[0] == '"')
  {
    char content[ADDR_PATH_MAX] ;
    size_t clen ;
    i = scan_quoted(s, len, flags, content, sizeof(content), &clen) ;
    if (!i) return 0 ;
    if (is_dot_string(content, clen))
    {
      memcpy(a->s, content, clen) ;
      llen = clen ;
    }
    else
    {
      llen = quote(content, clen, a->s, ADDR_PATH_MAX) ;
      if (!llen) return (errno = ENAMETOOLONG, 0) ;
    }
  }
  else
  {
    i = scan_dot_string(s, len, flags) ;
    if (!i) return 0 ;
    if (i > ADDR_PATH_MAX) return (errno = ENAMETOOLONG, 0) ;
    memcpy(a->s, s, i) ;
    llen = i ;
  }
  if (i >= len || s[i] != '@') return (errno = EINVAL, 0) ;
  i++ ;
  if (llen > localmax) return (errno = ENAMETOOLONG, 0) ;
  if (i < len && s[i] == '[')
  {
    dlen = addr_scan_literal(s + i, len - i, flags) ;
    literal = 1 ;
  }
  else dlen = addr_scan_domain(s + i, len - i, flags) ;
  if (!dlen) return 0 ;
  if (dlen > domainmax || llen + 1 + dlen > ADDR_PATH_MAX) return (errno = ENAMETOOLONG, 0) ;
  a->s[llen] = '@' ;
  memcpy(a->s + llen + 1, s + i, dlen) ;
  a->len = llen + 1 + dlen ;
  a->s[a->len] = 0 ;
  a->at = llen ;
  a->literal = literal ;
  {
    size_t j = 0 ;
    a->utf8 = 0 ;
    for (; j < a->len ; j++) if ((unsigned char)a->s[j] >= 0x80) { a->utf8 = 1 ; break ; }
  }
  return i + dlen ;
}

/* ISC license. */

/* string = quoted / literal (RFC 9051 §9). A quoted string is used when
 * every byte is a QUOTED-CHAR (8-bit only with UTF8=ACCEPT, RFC 9051
 * §9 / RFC 6855) and the text is short; else a literal. */

#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

#define QUOTED_MAX 1000

static int quotable (char const *s, size_t len, int utf8)
{
  size_t i = 0 ;
  if (len > QUOTED_MAX) return 0 ;
  while (i < len)
  {
    unsigned char ch = s[i] ;
    if (!ch || ch == '\r' || ch == '\n') return 0 ;
    if (ch >= 0x80)
    {
      size_t n ;
      if (!utf8) return 0 ;
      n = imap_utf8_seq((unsigned char const *)s + i, len - i) ;
      if (!n) return 0 ;  /* not UTF-8: a literal carries it as it is */
      i += n ;
    }
    else i++ ;
  }
  return 1 ;
}

int imap_fmt_string (stralloc *sa, char const *s, size_t len, int utf8)
{
  if (!s) return stralloc_catb(sa, "NIL", 3) ;
  if (quotable(s, len, utf8))
  {
    size_t i = 0 ;
    if (!stralloc_readyplus(sa, 2 * len + 2)) return 0 ;
    sa->s[sa->len++] = '"' ;
    for (; i < len ; i++)
    {
      if (s[i] == '"' || s[i] == '\\') sa->s[sa->len++] = '\\' ;
      sa->s[sa->len++] = s[i] ;
    }
    sa->s[sa->len++] = '"' ;
    return 1 ;
  }
  {
    char fmt[SIZE_FMT] ;
    return stralloc_catb(sa, "{", 1)
     && stralloc_catb(sa, fmt, size_fmt(fmt, len))
     && stralloc_catb(sa, "}\r\n", 3)
     && stralloc_catb(sa, s, len) ;
  }
}

int imap_fmt_nstring (stralloc *sa, char const *s, size_t len, int utf8)
{
  return imap_fmt_string(sa, s, len, utf8) ;
}

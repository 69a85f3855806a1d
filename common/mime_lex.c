/* ISC license. */

/* Lenient lexing of structured header values (RFC 5322 §3.2.2 CFWS,
 * RFC 2045 §5.1 token and quoted-string). Broken input never fails:
 * an unclosed comment or quote runs to the end of the value. */

#include <skalibs/stralloc.h>
#include "common/mime-internal.h"

size_t mime_skip_cfws (char const *s, size_t len, size_t pos)
{
  unsigned int depth = 0 ;
  while (pos < len)
  {
    char c = s[pos] ;
    if (depth)
    {
      if (c == '\\') pos++ ;
      else if (c == '(') depth++ ;
      else if (c == ')') depth-- ;
    }
    else if (c == '(') depth = 1 ;
    else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break ;
    pos++ ;
  }
  return pos > len ? len : pos ;
}

static int is_tspecial (unsigned char c)
{
  switch (c)
  {
    case '(' : case ')' : case '<' : case '>' : case '@' :
    case ',' : case ';' : case ':' : case '\\' : case '"' :
    case '/' : case '[' : case ']' : case '?' : case '=' :
      return 1 ;
    default : return c <= ' ' || c == 0x7f ;
  }
}

size_t mime_token_end (char const *s, size_t len, size_t pos)
{
  while (pos < len && !is_tspecial(s[pos])) pos++ ;
  return pos ;
}

size_t mime_quoted (stralloc *sa, char const *s, size_t len, size_t pos)
{
  pos++ ;
  while (pos < len && s[pos] != '"')
  {
    char c = s[pos] ;
    if (c == '\\' && pos + 1 < len) c = s[++pos] ;
    else if (c == '\r' || c == '\n' || !c) { pos++ ; continue ; }   /* a fold inside the quotes; NUL cannot be sent */
    if (sa && !stralloc_catb(sa, &c, 1)) return (size_t)-1 ;
    pos++ ;
  }
  return pos < len ? pos + 1 : len ;
}

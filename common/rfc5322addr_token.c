/* ISC license. */

#include <errno.h>

#include "common/rfc5322addr-internal.h"

/* RFC 5322 section 3.2: atext (3.2.3, plus UTF-8 per RFC 6532 3.2),
 * quoted-string (3.2.4), comment and FWS (3.2.2), domain-literal
 * (3.4.1). A fold is CRLF (or the LF alone, as header lines arrive in
 * the queue's LF form) followed by a space or tab. */

static int is_wsp (char c)
{
  return c == ' ' || c == '\t' ;
}

static int is_ctl (unsigned char c)
{
  return (c < 0x20 && c != '\t') || c == 0x7f ;
}

static int is_atext (unsigned char c)
{
  if (c >= 0x80) return 1 ;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1 ;
  switch (c)
  {
    case '!' : case '#' : case '$' : case '%' : case '&' : case '\'' : case '*' :
    case '+' : case '-' : case '/' : case '=' : case '?' : case '^' : case '_' :
    case '`' : case '{' : case '|' : case '}' : case '~' : return 1 ;
    default : return 0 ;
  }
}

/* At s[i], a CR or LF: the length of the line break if a fold follows,
 * else 0. */
static size_t fold (char const *s, size_t len, size_t i)
{
  size_t n = s[i] == '\r' ? 1 : 0 ;
  if (i + n >= len || s[i + n] != '\n') return 0 ;
  n++ ;
  return i + n < len && is_wsp(s[i + n]) ? n : 0 ;
}

/* quoted-pair = "\" (VCHAR / WSP), UTF-8 allowed */
static int pair_ok (char const *s, size_t len, size_t i)
{
  return i + 1 < len && !is_ctl((unsigned char)s[i + 1]) ;
}

static int bad (void)
{
  errno = EINVAL ;
  return -1 ;
}

/* Skips one comment starting at s[*pos] == '('. Comments nest. */
static int comment (char const *s, size_t len, size_t *pos)
{
  size_t i = *pos + 1, depth = 1 ;
  while (depth)
  {
    unsigned char c ;
    if (i >= len) return 0 ;
    c = s[i] ;
    if (c == '\\') { if (!pair_ok(s, len, i)) return 0 ; i += 2 ; continue ; }
    if (c == '\r' || c == '\n') { size_t n = fold(s, len, i) ; if (!n) return 0 ; i += n ; continue ; }
    if (is_ctl(c)) return 0 ;
    if (c == '(') depth++ ;
    else if (c == ')') depth-- ;
    i++ ;
  }
  *pos = i ;
  return 1 ;
}

int rfc5322addr_token (char const *s, size_t len, size_t *pos, rfc5322tok *t)
{
  size_t i = *pos ;
  unsigned char c ;
  for (;;)
  {
    if (i >= len)
    {
      *pos = t->start = i ;
      t->len = 0 ;
      return (t->type = RFC5322TOK_END) ;
    }
    c = s[i] ;
    if (is_wsp(c)) { i++ ; continue ; }
    if (c == '\r' || c == '\n')
    {
      size_t n = fold(s, len, i) ;
      if (!n) return bad() ;
      i += n ;
      continue ;
    }
    if (c == '(')
    {
      if (!comment(s, len, &i)) return bad() ;
      continue ;
    }
    break ;
  }
  t->start = i ;
  if (is_atext(c))
  {
    while (i < len && is_atext((unsigned char)s[i])) i++ ;
    t->type = RFC5322TOK_ATOM ;
  }
  else if (c == '"' || c == '[')
  {
    char close = c == '"' ? '"' : ']' ;
    i++ ;
    for (;;)
    {
      if (i >= len) return bad() ;
      c = s[i] ;
      if (c == close) { i++ ; break ; }
      if (c == '\r' || c == '\n') { size_t n = fold(s, len, i) ; if (!n) return bad() ; i += n ; continue ; }
      if (is_ctl(c)) return bad() ;
      if (c == '\\')
      {
        /* quoted-pair: in quoted strings; obs-dtext only, so refused in
         * literals, which no mail system routes anyway */
        if (close == ']' || !pair_ok(s, len, i)) return bad() ;
        i += 2 ;
        continue ;
      }
      if (close == ']' && c == '[') return bad() ;
      i++ ;
    }
    t->type = close == '"' ? RFC5322TOK_QUOTED : RFC5322TOK_LITERAL ;
  }
  else switch (c)
  {
    case '.' : case '@' : case '<' : case '>' : case ':' : case ';' : case ',' :
      i++ ;
      t->type = c ;
      break ;
    default : return bad() ;
  }
  t->len = i - t->start ;
  *pos = i ;
  return t->type ;
}

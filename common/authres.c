/* ISC license. */

/* RFC 8601 §2.2:
 *   authres-header-field = "Authentication-Results:" authres-payload
 *   authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                     ( no-result / 1*resinfo ) [CFWS] CRLF
 *   resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *   methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 * authserv-id is a "value" (RFC 2045: token or quoted-string). */

#include <string.h>
#include <strings.h>

#include "common/authres.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* skips WSP and comments (nested, with quoted pairs); bounded by len */
static size_t cfws (char const *s, size_t len, size_t i)
{
  for (;;)
  {
    while (i < len && IS_WSP(s[i])) i++ ;
    if (i < len && s[i] == '(')
    {
      unsigned int depth = 0 ;
      for (; i < len ; i++)
      {
        if (s[i] == '\\') { i++ ; continue ; }
        if (s[i] == '(') depth++ ;
        else if (s[i] == ')' && !--depth) { i++ ; break ; }
      }
      continue ;
    }
    return i ;
  }
}

/* RFC 2045 tspecials end a token */
static int tokenchar (char c)
{
  return (unsigned char)c > 32 && (unsigned char)c < 127 && !strchr("()<>@,;:\\\"/[]?=", c) ;
}

int authres_id (char const *s, size_t len, char *id, size_t *rest)
{
  size_t i = cfws(s, len, 0), w = 0 ;
  if (i >= len) return 0 ;
  if (s[i] == '"')
  {
    for (i++ ; i < len && s[i] != '"' ; i++)
    {
      if (s[i] == '\\' && i + 1 < len) i++ ;
      if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127 || w >= AUTHRES_ID_MAX) return 0 ;
      id[w++] = s[i] ;
    }
    if (i >= len) return 0 ;
    i++ ;
  }
  else
  {
    /* a host name is a token but for its dots: "." is no tspecial */
    while (i < len && (tokenchar(s[i]) || s[i] == '@'))
    {
      if (w >= AUTHRES_ID_MAX) return 0 ;
      id[w++] = s[i++] ;
    }
  }
  if (!w) return 0 ;
  id[w] = 0 ;
  *rest = i ;
  return 1 ;
}

int authres_claims (char const *s, size_t len, char const *ourid)
{
  char id[AUTHRES_ID_MAX + 1] ;
  size_t rest ;
  if (!authres_id(s, len, id, &rest)) return 0 ;
  return !strcasecmp(id, ourid) ;
}

int authres_result (char const *s, size_t len, char const *method, char *word)
{
  char id[AUTHRES_ID_MAX + 1] ;
  size_t i, ml = strlen(method) ;
  if (!authres_id(s, len, id, &i)) return 0 ;
  while (i < len)
  {
    size_t start, w = 0 ;
    /* to the next ";" outside comments and quoted strings */
    while (i < len && s[i] != ';')
    {
      if (s[i] == '(') { i = cfws(s, len, i) ; continue ; }
      if (s[i] == '"') { for (i++ ; i < len && s[i] != '"' ; i++) if (s[i] == '\\') i++ ; }
      i++ ;
    }
    if (i >= len) return 0 ;
    i = cfws(s, len, i + 1) ;
    start = i ;
    while (i < len && tokenchar(s[i])) i++ ;
    if (i - start != ml || strncasecmp(s + start, method, ml)) continue ;
    i = cfws(s, len, i) ;
    if (i >= len || s[i] != '=') continue ;
    i = cfws(s, len, i + 1) ;
    while (i < len && tokenchar(s[i]) && w < 31) word[w++] = s[i++] ;
    word[w] = 0 ;
    return w > 0 ;
  }
  return 0 ;
}

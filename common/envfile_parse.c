/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/config.h"

/* docker-mailserver's mailserver.env, as docker compose's env_file reads
 * it (compose-go dotenv):
 *   - blank lines and lines starting with '#' are ignored;
 *   - whitespace around the line is ignored; "export " may come first;
 *   - NAME=VALUE, NAME matching [A-Za-z_][A-Za-z0-9_]*; blanks around the
 *     '=' are ignored, as compose does;
 *   - VALUE in matching '...' is literal; in "..." the escapes \" and \\
 *     are undone (other backslashes are kept); after the closing quote
 *     only blanks or a " #comment" may follow;
 *   - an unquoted VALUE is taken as it is (it may hold '=' and spaces),
 *     except that " #" starts a comment, as in compose.
 * Anything else is a syntax error reported with its line number; so is
 * a NUL byte, since the records are NUL-terminated. Compose's ${VAR}
 * expansion is not done: docker-mailserver's files do not use it. */

static int is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ;
}

static int is_name_start (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ;
}

static int is_name_char (char c)
{
  return is_name_start(c) || (c >= '0' && c <= '9') ;
}

/* After a closing quote: nothing, or blanks then an optional comment. */
static int rest_is_comment (char const *s, size_t n)
{
  size_t i = 0 ;
  while (i < n && is_space(s[i])) i++ ;
  return i == n || (i && s[i] == '#') ;
}

/* Parses one trimmed, non-empty, non-comment line. Returns 1, 0 on a
 * syntax error (errno EINVAL), -1 when out of memory. */
static int parse_line (char const *s, size_t n, stralloc *out)
{
  size_t i = 0 ;
  size_t namestart ;
  if (n > 7 && !memcmp(s, "export", 6) && is_space(s[6]))
  {
    i = 7 ;
    while (i < n && is_space(s[i])) i++ ;
  }
  namestart = i ;
  if (i >= n || !is_name_start(s[i])) return 0 ;
  while (i < n && is_name_char(s[i])) i++ ;
  if (!stralloc_catb(out, s + namestart, i - namestart)) return -1 ;
  while (i < n && is_space(s[i])) i++ ;
  if (i >= n || s[i] != '=') return 0 ;
  if (!stralloc_catb(out, "=", 1)) return -1 ;
  i++ ;
  while (i < n && is_space(s[i])) i++ ;
  if (i < n && s[i] == '\'')
  {
    char const *end = memchr(s + i + 1, '\'', n - i - 1) ;
    if (!end) return 0 ;
    if (!rest_is_comment(end + 1, s + n - end - 1)) return 0 ;
    if (!stralloc_catb(out, s + i + 1, end - s - i - 1)) return -1 ;
  }
  else if (i < n && s[i] == '"')
  {
    size_t start ;
    i++ ;
    start = i ;
    for (;;)
    {
      if (i >= n) return 0 ;
      if (s[i] == '"') break ;
      if (s[i] == '\\' && i + 1 < n && (s[i+1] == '"' || s[i+1] == '\\'))
      {
        if (!stralloc_catb(out, s + start, i - start)) return -1 ;
        start = ++i ;
      }
      i++ ;
    }
    if (!stralloc_catb(out, s + start, i - start)) return -1 ;
    if (!rest_is_comment(s + i + 1, n - i - 1)) return 0 ;
  }
  else
  {
    size_t end = i ;
    for (; end < n ; end++)
      if (s[end] == '#' && end > i && s[end-1] == ' ') break ;
    while (end > i && is_space(s[end-1])) end-- ;
    if (!stralloc_catb(out, s + i, end - i)) return -1 ;
  }
  return stralloc_0(out) ? 1 : -1 ;
}

int envfile_parse (char const *s, size_t len, stralloc *out, unsigned int *errline)
{
  size_t const origlen = out->len ;
  size_t pos = 0 ;
  unsigned int line = 0 ;
  *errline = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t end = nl ? (size_t)(nl - s) : len ;
    size_t a = pos, b = end ;
    line++ ;
    pos = nl ? end + 1 : len ;
    if (memchr(s + a, 0, b - a)) goto syntax ;
    while (a < b && is_space(s[a])) a++ ;
    while (b > a && is_space(s[b-1])) b-- ;
    if (a == b || s[a] == '#') continue ;
    switch (parse_line(s + a, b - a, out))
    {
      case 1 : break ;
      case 0 : goto syntax ;
      default : out->len = origlen ; return 0 ;
    }
  }
  return 1 ;

 syntax:
  out->len = origlen ;
  *errline = line ;
  errno = EINVAL ;
  return 0 ;
}

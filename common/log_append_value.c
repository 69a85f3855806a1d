/* ISC license. */

#include <stddef.h>

#include "common/log-internal.h"

/* docs/internals.md, Logs: a value that is empty or holds a space, a
 * quote, a backslash, '=' or a control byte is written in double quotes,
 * with \" and \\ escapes and control bytes (and DEL) as \xHH, so that
 * every line splits back into key=value fields unambiguously. Octets
 * >= 0x80 pass through: UTF-8 addresses stay readable. */

static int needs_quoting (unsigned char c)
{
  return c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '=' ;
}

void log_append_value (logline *l, char const *s, size_t n)
{
  size_t i = 0 ;
  int quote = !n ;
  for (; i < n ; i++) if (needs_quoting((unsigned char)s[i])) { quote = 1 ; break ; }
  if (!quote)
  {
    log_append(l, s, n) ;
    return ;
  }
  log_append(l, "\"", 1) ;
  {
    static char const hex[16] = "0123456789abcdef" ;
    size_t start = 0 ;
    for (i = 0 ; i < n ; i++)
    {
      unsigned char c = s[i] ;
      char esc[4] ;
      size_t esclen ;
      if (c == '"' || c == '\\')
      {
        esc[0] = '\\' ; esc[1] = c ; esclen = 2 ;
      }
      else if (c < 0x20 || c == 0x7f)
      {
        esc[0] = '\\' ; esc[1] = 'x' ; esc[2] = hex[c >> 4] ; esc[3] = hex[c & 15] ; esclen = 4 ;
      }
      else continue ;
      log_append(l, s + start, i - start) ;
      log_append(l, esc, esclen) ;
      start = i + 1 ;
    }
    log_append(l, s + start, n - start) ;
  }
  log_append(l, "\"", 1) ;
}

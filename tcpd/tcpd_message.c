/* ISC license. */

#include <sys/types.h>

#include "common/hexdigit.h"
#include "tcpd.h"

/* The banned message comes from the command line, where a CR LF is
 * awkward to write (an s6 run script, an env file), so the usual C
 * escapes are understood: \r \n \t \\ and \xHH. Anything else after a
 * backslash is an error rather than a guess. */

ssize_t tcpd_message_unescape (char *out, size_t max, char const *s)
{
  size_t len = 0 ;
  while (*s)
  {
    char c = *s++ ;
    if (c == '\\')
    {
      switch (*s++)
      {
        case 'r' : c = '\r' ; break ;
        case 'n' : c = '\n' ; break ;
        case 't' : c = '\t' ; break ;
        case '\\' : c = '\\' ; break ;
        case 'x' :
        {
          int b = hex_pair(s) ;
          if (b < 0) return -1 ;
          c = (char)b ;
          s += 2 ;
          break ;
        }
        default : return -1 ;
      }
    }
    if (len >= max) return -1 ;
    out[len++] = c ;
  }
  return (ssize_t)len ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "common/policyclient.h"

ssize_t policyclient_reply_parse (char const *s, size_t len, char *action, size_t max)
{
  size_t i = 0 ;
  int found = 0 ;
  if (max < 2) return (errno = EINVAL, -1) ;  /* room for one byte and the NUL */
  /* Is the reply complete? Only then is it judged. */
  {
    size_t end = 0 ;
    int complete = 0 ;
    while (end < len)
    {
      char const *lf = memchr(s + end, '\n', len - end) ;
      size_t linelen ;
      if (!lf) break ;
      linelen = (size_t)(lf - (s + end)) ;
      end += linelen + 1 ;
      if (!linelen || (linelen == 1 && s[end - 2] == '\r')) { complete = 1 ; break ; }
    }
    if (!complete) return 0 ;
    len = end ;
  }
  while (i < len)
  {
    char const *lf = memchr(s + i, '\n', len - i) ;
    size_t linelen = (size_t)(lf - (s + i)) ;
    char const *line = s + i ;
    char const *eq ;
    i += linelen + 1 ;
    if (linelen && line[linelen - 1] == '\r') linelen-- ;
    if (!linelen) break ;   /* the empty line: the end */
    if (memchr(line, 0, linelen)) return (errno = EPROTO, -1) ;
    eq = memchr(line, '=', linelen) ;
    if (!eq || eq == line) return (errno = EPROTO, -1) ;
    if (!found && eq - line == 6 && !memcmp(line, "action", 6))
    {
      size_t vlen = linelen - 7 ;
      if (!vlen) return (errno = EPROTO, -1) ;
      if (vlen > max - 1) vlen = max - 1 ;
      memcpy(action, eq + 1, vlen) ;
      action[vlen] = 0 ;
      found = 1 ;
    }
  }
  if (!found) return (errno = EPROTO, -1) ;
  return (ssize_t)len ;
}

/* ISC license. */

#include <string.h>

#include "common/hexdigit.h"
#include "cmd_queue.h"

/* \xHH back to the byte, in place; never longer than the input. */
static void unescape (char *s)
{
  char *w = s ;
  for (char const *r = s ; *r ; r++)
  {
    int b ;
    if (r[0] == '\\' && r[1] == 'x' && (b = hex_pair(r + 2)) >= 0)
    {
      char c = (char)b ;
      /* A NUL would cut the field short: show it as a '?'. */
      *w++ = c ? c : '?' ;
      r += 3 ;
    }
    else *w++ = *r ;
  }
  *w = 0 ;
}

unsigned int mcq_split (char *line, char **fields, unsigned int max)
{
  unsigned int n = 0 ;
  if (!max) return 0 ;
  for (;;)
  {
    char *tab = n + 1 < max ? strchr(line, '\t') : 0 ;
    fields[n++] = line ;
    if (!tab) break ;
    *tab = 0 ;
    line = tab + 1 ;
  }
  for (unsigned int k = 0 ; k < n ; k++) unescape(fields[k]) ;
  return n ;
}

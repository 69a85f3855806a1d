/* ISC license. */

#include <string.h>

#include "common/authclient-internal.h"

unsigned int authclient_split (char const *line, size_t len, char const **f, size_t *flen)
{
  unsigned int n = 0 ;
  size_t start = 0 ;
  for (;;)
  {
    char const *tab = memchr(line + start, '\t', len - start) ;
    size_t end = tab ? (size_t)(tab - line) : len ;
    if (n >= AUTHCLIENT_FIELDS_MAX) return 0 ;
    f[n] = line + start ;
    flen[n++] = end - start ;
    if (!tab) return n ;
    start = end + 1 ;
  }
}

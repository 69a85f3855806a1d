/* ISC license. */

#include <string.h>
#include <skalibs/bytestr.h>
#include "common/mime.h"

int mime_header_get (char const *h, size_t hlen, char const *name, unsigned int n, char const **v, size_t *vlen)
{
  size_t pos = 0 ;
  size_t want = strlen(name) ;
  char const *fn ;
  size_t fnlen ;
  while (mime_header_next(h, hlen, &pos, &fn, &fnlen, v, vlen))
    if (fnlen == want && !case_diffb(fn, fnlen, name) && !n--) return 1 ;
  return 0 ;
}

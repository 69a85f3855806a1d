/* ISC license. */

#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"

/* Both sides folded, then a byte substring test: folded UTF-8 is
 * self-synchronizing, so a byte match is a character match. Returns 1,
 * 0 if absent, -1 on allocation failure. */
int mime_text_contains (char const *hay, size_t haylen, char const *needle, size_t needlelen)
{
  stralloc h = STRALLOC_ZERO ;
  stralloc n = STRALLOC_ZERO ;
  int r = -1 ;
  if (!needlelen) return 1 ;
  if (mime_fold(&h, hay, haylen) && mime_fold(&n, needle, needlelen))
    r = n.len <= h.len && memmem(h.s, h.len, n.s, n.len) ? 1 : 0 ;
  stralloc_free(&h) ;
  stralloc_free(&n) ;
  return r ;
}

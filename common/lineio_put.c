/* ISC license. */

#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#include "common/lineio.h"

/* A reply longer than the buffer goes out in several flushes, each
 * bounded by the same deadline. */

int lineio_put (buffer *b, char const *s, size_t len, tain const *deadline)
{
  for (;;)
  {
    size_t w = buffer_putnoflush(b, s, len) ;
    s += w ;
    len -= w ;
    if (!lineio_flush(b, deadline)) return 0 ;
    if (!len) return 1 ;
  }
}

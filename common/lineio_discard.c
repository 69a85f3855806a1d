/* ISC license. */

#include <skalibs/buffer.h>

#include "common/lineio.h"

void lineio_discard (buffer *b)
{
  buffer_rseek(b, buffer_len(b)) ;
}

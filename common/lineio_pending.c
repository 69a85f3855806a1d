/* ISC license. */

#include <skalibs/buffer.h>

#include "common/lineio.h"

int lineio_pending (buffer const *b)
{
  return !buffer_isempty(b) ;
}

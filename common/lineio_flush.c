/* ISC license. */

#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/lineio.h"

/* The clock is read first so that a deadline computed long ago is
 * measured against the present, not against a stale STAMP. */

int lineio_flush (buffer *b, tain const *deadline)
{
  tain_now_g() ;
  return buffer_timed_flush(b, deadline, &STAMP) ;
}

/* ISC license. */

#include <errno.h>

#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/handover.h"

int handover_wait (int fd, int forwrite, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = forwrite ? IOPAUSE_WRITE : IOPAUSE_READ } ;
  int e ;
  tain_now_g() ;
  e = iopause_g(&x, 1, deadline) ;
  if (e < 0) return 0 ;
  if (!e) return (errno = ETIMEDOUT, 0) ;
  return 1 ;
}

/* ISC license. */

#include <skalibs/djbunix.h>

#include "common/policyclient.h"

void policyclient_close (policyclient *p)
{
  if (p->fd >= 0) fd_close(p->fd) ;
  p->fd = -1 ;
  p->requests = 0 ;
}

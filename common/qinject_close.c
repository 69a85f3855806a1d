/* ISC license. */

#include <skalibs/djbunix.h>

#include "common/qinject.h"

void qinject_close (qinject *q)
{
  if (q->fd >= 0) fd_close(q->fd) ;
  q->fd = -1 ;
  q->inmessage = 0 ;
}

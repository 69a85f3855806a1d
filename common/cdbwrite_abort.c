/* ISC license. */

#include <errno.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/cdbwrite.h"

void cdbwrite_abort (cdbwrite *w)
{
  int e = errno ;
  if (w->fd >= 0)
  {
    fd_close(w->fd) ;
    w->fd = -1 ;
    unlink(w->tmp.s) ;
  }
  genalloc_free(diuint32, &w->maker.hplist) ;
  stralloc_free(&w->tmp) ;
  errno = e ;
}

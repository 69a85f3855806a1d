/* ISC license. */

#include <errno.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "dkimsign.h"

int ds_read_all (int fd, stralloc *sa, size_t max, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = IOPAUSE_READ } ;
  for (;;)
  {
    ssize_t r ;
    if (!stralloc_readyplus(sa, 65536)) return 0 ;
    r = fd_read(fd, sa->s + sa->len, 65536) ;
    if (r > 0)
    {
      sa->len += (size_t)r ;
      if (sa->len > max) return (errno = EMSGSIZE, 0) ;
      continue ;
    }
    if (!r) return 1 ;
    if (!error_isagain(errno)) return 0 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) return 0 ;
    if (!r) return (errno = ETIMEDOUT, 0) ;
  }
}

int ds_write_all (int fd, char const *s, size_t len, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = IOPAUSE_WRITE } ;
  while (len)
  {
    ssize_t r = fd_write(fd, s, len) ;
    if (r > 0) { s += r ; len -= (size_t)r ; continue ; }
    if (r < 0 && !error_isagain(errno)) return 0 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) return 0 ;
    if (!r) return (errno = ETIMEDOUT, 0) ;
  }
  return 1 ;
}

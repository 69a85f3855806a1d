/* ISC license. */

#include <errno.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/ucspitls-internal.h"

/* A TLS engine's report (tlsd's or tlsc's) ends with EOF: the engine
 * shuts the control socket down after it, and an engine that dies
 * closes it. So the report is whatever came before EOF, bounded in
 * size and time. */

ssize_t ucspitls_readall (int fd, char *buf, size_t max, tain const *deadline)
{
  size_t len = 0 ;
  if (ndelay_on(fd) < 0) return -1 ;
  for (;;)
  {
    iopause_fd x = { .fd = fd, .events = IOPAUSE_READ, .revents = 0 } ;
    ssize_t r = fd_read(fd, buf + len, max - len) ;
    if (r > 0)
    {
      len += (size_t)r ;
      if (len == max) return (errno = EPROTO, -1) ;
      continue ;
    }
    if (!r) return (ssize_t)len ;
    if (errno == ECONNRESET) return (ssize_t)len ;  /* the engine died: same as EOF */
    if (!error_isagain(errno)) return -1 ;
    tain_now_g() ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) return -1 ;
    if (!r) return (errno = ETIMEDOUT, -1) ;
  }
}

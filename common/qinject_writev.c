/* ISC license. */

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/qinject-internal.h"

ssize_t qinject_writev (int fd, struct iovec const *v, unsigned int n)
{
  struct msghdr h = { .msg_name = 0, .msg_namelen = 0, .msg_iov = (struct iovec *)v, .msg_iovlen = n, .msg_control = 0, .msg_controllen = 0, .msg_flags = 0 } ;
  ssize_t r ;
  do r = sendmsg(fd, &h, MSG_NOSIGNAL) ;
  while (r < 0 && errno == EINTR) ;
  if (r < 0 && errno == ENOTSOCK)
  {
    /* Not a socket (a test driving the client through a pipe). */
    do r = writev(fd, v, n) ;
    while (r < 0 && errno == EINTR) ;
  }
  return r ;
}

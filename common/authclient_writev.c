/* ISC license. */

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/authclient-internal.h"

/* authd may close at any moment (a protocol error, its idle timeout):
 * that must be an EPIPE for the caller, not a SIGPIPE that kills it. */

ssize_t authclient_writev (int fd, struct iovec const *v, unsigned int n)
{
  struct msghdr h = { .msg_name = 0, .msg_namelen = 0, .msg_iov = (struct iovec *)v, .msg_iovlen = n, .msg_control = 0, .msg_controllen = 0, .msg_flags = 0 } ;
  ssize_t r ;
  do r = sendmsg(fd, &h, MSG_NOSIGNAL) ;
  while (r < 0 && errno == EINTR) ;
  return r ;
}

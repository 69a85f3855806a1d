/* ISC license. */

#include <errno.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>

#include "common/authclient.h"

int authclient_connect (authclient *ac, char const *path, tain const *deadline)
{
  int fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  tain_now_g() ;
  if (!ipc_timed_connect(fd, path, deadline, &STAMP))
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  return authclient_start_fd(ac, fd, deadline) ;
}

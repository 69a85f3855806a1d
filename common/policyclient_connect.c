/* ISC license. */

#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>

#include "common/policyclient.h"

int policyclient_connect (policyclient *p, tain const *deadline)
{
  int fd ;
  if (p->fd >= 0) return 1 ;
  if (p->isunix)
  {
    fd = ipc_stream_nbcoe() ;
    if (fd < 0) return 0 ;
    if (!ipc_timed_connect(fd, p->path, deadline, &STAMP)) goto err ;
  }
  else
  {
    fd = socket_tcp46_nbcoe(ip46_is6(&p->ip)) ;
    if (fd < 0) return 0 ;
    if (!socket_deadlineconnstamp46(fd, &p->ip, p->port, deadline, &STAMP)) goto err ;
  }
  p->fd = fd ;
  p->requests = 0 ;
  return 1 ;
 err:
  fd_close(fd) ;
  return 0 ;
}

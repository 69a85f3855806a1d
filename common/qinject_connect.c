/* ISC license. */

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>

#include "common/qinject-internal.h"

int qinject_connect (qinject *q, char const *path, tain const *deadline)
{
  int fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  if (!ipc_timed_connect(fd, path, deadline, &STAMP))
  {
    fd_close(fd) ;
    return 0 ;
  }
  q->fd = fd ;
  q->inmessage = 0 ;
  buffer_init(&q->out, &qinject_writev, fd, q->buf, QINJECT_BUFSIZE) ;
  return 1 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/socket.h>
#include <skalibs/stralloc.h>
#include <skalibs/unixmessage.h>
#include <skalibs/unixconnection.h>

#include "queued/qreq.h"
#include "queued/qconn.h"

static stralloc req = STRALLOC_ZERO ;

int qconn_open (qconn *c, char const *path)
{
  int fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  /* A Unix stream connect either succeeds at once or fails (EAGAIN:
   * deliverd's backlog is full); both cases are handled by the caller's
   * reconnection backoff, so nothing waits here. */
  if (!ipc_connect(fd, path))
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  c->fd = fd ;
  c->m = 0 ;
  unixconnection_init(&c->io, fd, fd) ;
  /* deliverd's replies never carry fds: refuse any (EPROTO). */
  unixmessage_receiver_refuse_fds(&c->io.in) ;
  return 1 ;
}

void qconn_close (qconn *c)
{
  if (c->fd < 0) return ;
  unixconnection_free(&c->io) ;   /* closes a message fd not yet sent */
  fd_close(c->fd) ;
  c->fd = -1 ;
  c->m = 0 ;
}

int qconn_send (qconn *c, qmsg *m, size_t const *rcpts, unsigned int n, int local, int messfd)
{
  unixmessage msg ;
  int fds[1] = { messfd } ;
  /* From here on the connection owns this request, even if it fails. */
  c->m = m ;
  memcpy(c->rcpts, rcpts, n * sizeof(size_t)) ;
  c->nrcpt = n ;
  if (!qreq_build(&req, m, rcpts, n, local))
  {
    fd_close(messfd) ;
    return 0 ;
  }
  msg.s = req.s ;
  msg.len = req.len ;
  msg.fds = fds ;
  msg.nfds = 1 ;
  if (!unixmessage_put_and_close(&c->io.out, &msg, unixmessage_bits_closeall))
  {
    fd_close(messfd) ;
    return 0 ;
  }
  return qconn_flush(c) ;
}

int qconn_flush (qconn *c)
{
  if (unixmessage_sender_flush(&c->io.out)) return 1 ;
  return error_isagain(errno) ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/handover.h"

int handover_receive (int fd, handover *h, tain const *deadline)
{
  char mainbuf[UNIXMESSAGE_BUFSIZE] ;
  char auxbuf[UNIXMESSAGE_AUXBUFSIZE] ;
  unixmessage_receiver in ;
  unixmessage m ;
  int r, e ;
  h->fd[0] = h->fd[1] = -1 ;
  if (!unixmessage_receiver_init(&in, fd, mainbuf, sizeof(mainbuf), auxbuf, sizeof(auxbuf))) return 0 ;
  tain_now_g() ;
  r = unixmessage_timed_receive(&in, &m, deadline, &STAMP) ;
  if (r <= 0)
  {
    e = errno ;
    unixmessage_receiver_free(&in) ;
    errno = e == ENOBUFS ? EMSGSIZE : e ;
    return 0 ;
  }
  if (m.nfds != 2)
  {
    for (unsigned int i = 0 ; i < m.nfds ; i++) fd_close(m.fds[i]) ;
    unixmessage_receiver_free(&in) ;
    return (errno = EPROTO, 0) ;
  }
  h->fd[0] = m.fds[0] ;
  h->fd[1] = m.fds[1] ;
  h->body.len = 0 ;
  if (!handover_parse(m.s, m.len, &h->fieldslen) || !stralloc_catb(&h->body, m.s, m.len)) goto err ;
  h->pending = h->body.s + h->fieldslen + 1 ;
  h->pendinglen = m.len - h->fieldslen - 1 ;
  explicit_bzero(m.s, m.len) ;
  unixmessage_receiver_free(&in) ;
  return 1 ;
 err:
  e = errno ;
  explicit_bzero(m.s, m.len) ;
  unixmessage_receiver_free(&in) ;
  handover_free(h) ;
  errno = e ;
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/uint16.h>
#include <skalibs/uint32.h>

#include "delivconn.h"

static int wait_fd0 (tain const *deadline)
{
  iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
  return iopause_g(&x, 1, deadline) ;
}

 /* Only meaningful when the receiver's buffer is empty (queued sends
    one request and waits for the answer). The header is a uint32
    length and a uint16 fd count, big endian. */
int delivconn_next (delivconn const *c, tain const *deadline)
{
  for (;;)
  {
    char hdr[6] ;
    int r ;
    ssize_t n = recv(0, hdr, 6, MSG_PEEK | MSG_DONTWAIT) ;
    if (n == 0) return 0 ;
    if (n == 6)
    {
      uint32_t len ;
      uint16_t nfds ;
      uint32_unpack_big(hdr, &len) ;
      uint16_unpack_big(hdr + 4, &nfds) ;
      if (len > c->max) return (errno = EMSGSIZE, -1) ;
      if (nfds != 1) return (errno = EPROTO, -1) ;
      return 1 ;
    }
     /* A header cut short (queued writes header and body in one sendmsg,
        so this is rare): waiting here would spin on a readable fd, so
        let the receiver take it with its own deadline and its own cap. */
    if (n > 0) return 1 ;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1 ;
    r = c->wait ? (*c->wait)(deadline, c->data) : wait_fd0(deadline) ;
    if (r < 0) return -1 ;
    if (!r) return (errno = ETIMEDOUT, -1) ;
  }
}

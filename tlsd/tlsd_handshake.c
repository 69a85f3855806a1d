/* ISC license. */

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "tlsd_io.h"

/* The handshake on a non-blocking socket, waiting only for what OpenSSL
 * says it needs, and never past the deadline: a peer that sends half a
 * hello and stalls costs one process for at most that long. The side
 * comes from the SSL object's method: tlsd's engine accepts (server),
 * tlsc connects (client). */

int tlsd_handshake (SSL *ssl, int fd, tain const *deadline)
{
  for (;;)
  {
    iopause_fd x = { .fd = fd, .events = 0, .revents = 0 } ;
    int r ;
    ERR_clear_error() ;
    errno = 0 ;
    r = SSL_is_server(ssl) ? SSL_accept(ssl) : SSL_connect(ssl) ;
    if (r == 1) return 1 ;
    switch (SSL_get_error(ssl, r))
    {
      case SSL_ERROR_WANT_READ : x.events = IOPAUSE_READ ; break ;
      case SSL_ERROR_WANT_WRITE : x.events = IOPAUSE_WRITE ; break ;
      case SSL_ERROR_SYSCALL :
        if (ERR_peek_error()) tlsd_log_fail(tlsd_ssl_reason()) ;
        else tlsd_log_fail(errno ? strerror(errno) : SSL_is_server(ssl) ? "client closed the connection" : "server closed the connection") ;
        return (errno = EPROTO, 0) ;
      default :
        tlsd_log_fail(tlsd_ssl_reason()) ;
        return (errno = EPROTO, 0) ;
    }
    tain_now_g() ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      tlsd_log_fail("iopause failed") ;
      return 0 ;
    }
    if (!r)
    {
      tlsd_log_fail("handshake timed out") ;
      return (errno = ETIMEDOUT, 0) ;
    }
  }
}

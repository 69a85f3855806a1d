/* ISC license. */

#include <string.h>
#include <errno.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "tlsd_io.h"

/* The relay: network <-> SSL <-> pipes, as s6-networking's stls_run does
 * it. Two bounded buffers (one TLS record each): up holds the app's
 * plaintext until SSL_write takes it, down holds what SSL_read gave until
 * the app takes it. Every pass tries each operation that is wanted and
 * not known to be blocked; an operation that blocks records what it waits
 * for (SSL_read may need the socket writable and SSL_write readable: the
 * WANT_READ / WANT_WRITE crossovers); only a pass without progress waits,
 * and then only for what the blocked operations need. All fds are
 * non-blocking.
 *
 * The end: the app closing its output (EOF on fromapp) means "flush and
 * say goodbye": up is written, then close_notify is sent. The client
 * closing (close_notify or plain EOF) means: give the app what is left,
 * close its input, say goodbye. The app closing its input (EPIPE) ends
 * everything. Once ending, or when idle for idlesecs, a deadline bounds
 * the rest. */

typedef struct rbuf_s rbuf ;
struct rbuf_s
{
  size_t pos ;
  size_t len ;
  char s[TLSD_RELAY_BUF] ;
} ;

static rbuf up = { .pos = 0, .len = 0 } ;
static rbuf down = { .pos = 0, .len = 0 } ;

static size_t room (rbuf *b)
{
  if (b->pos == b->len) b->pos = b->len = 0 ;
  else if (b->len == sizeof(b->s) && b->pos)
  {
    memmove(b->s, b->s + b->pos, b->len - b->pos) ;
    b->len -= b->pos ;
    b->pos = 0 ;
  }
  return sizeof(b->s) - b->len ;
}

static void log_error (char const *reason)
{
  log_event2("tls_error", "ip", tlsd_ip, "reason", reason) ;
}

/* close_notify (RFC 8446 section 6.1), once: the peer's answer is not
 * awaited, there is nothing left to read. */
static void goodbye (SSL *ssl, int net, tain const *deadline)
{
  for (;;)
  {
    iopause_fd x = { .fd = net, .events = IOPAUSE_WRITE, .revents = 0 } ;
    int r ;
    ERR_clear_error() ;
    r = SSL_shutdown(ssl) ;
    if (r >= 0) return ;
    if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_WRITE) return ;
    tain_now_g() ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0 && errno != EINTR) return ;
    if (!r) return ;
  }
}

/* Returns 1 on progress, 0 when blocked or not possible, -1 on a fatal
 * TLS error (logged). */
static int ssl_in (SSL *ssl, unsigned int *block, int *neteof)
{
  int r ;
  ERR_clear_error() ;
  r = SSL_read(ssl, down.s + down.len, (int)(sizeof(down.s) - down.len)) ;
  if (r > 0)
  {
    down.len += (size_t)r ;
    return 1 ;
  }
  switch (SSL_get_error(ssl, r))
  {
    case SSL_ERROR_WANT_READ : *block = IOPAUSE_READ ; return 0 ;
    case SSL_ERROR_WANT_WRITE : *block = IOPAUSE_WRITE ; return 0 ;
    case SSL_ERROR_ZERO_RETURN : *neteof = 1 ; return 1 ;
    case SSL_ERROR_SYSCALL :
      if (!ERR_peek_error())
      {
        *neteof = 1 ;  /* a reset connection: the client is gone */
        return 1 ;
      }
      /* fallthrough */
    default :
      log_error(tlsd_ssl_reason()) ;
      return -1 ;
  }
}

static int ssl_out (SSL *ssl, unsigned int *block)
{
  int r ;
  ERR_clear_error() ;
  r = SSL_write(ssl, up.s + up.pos, (int)(up.len - up.pos)) ;
  if (r > 0)
  {
    up.pos += (size_t)r ;
    return 1 ;
  }
  switch (SSL_get_error(ssl, r))
  {
    case SSL_ERROR_WANT_READ : *block = IOPAUSE_READ ; return 0 ;
    case SSL_ERROR_WANT_WRITE : *block = IOPAUSE_WRITE ; return 0 ;
    case SSL_ERROR_SYSCALL :
      if (!ERR_peek_error())
      {
        log_error(errno ? strerror(errno) : "connection closed while writing") ;
        return -1 ;
      }
      /* fallthrough */
    default :
      log_error(tlsd_ssl_reason()) ;
      return -1 ;
  }
}

int tlsd_relay (SSL *ssl, int net, int fromapp, int toapp, unsigned int idlesecs)
{
  unsigned int sslrd = 0, sslwr = 0 ;  /* 0, or the event on net it waits for */
  int apprd = 0, appwr = 0 ;           /* blocked until the pipe is ready */
  int appeof = 0, neteof = 0, appgone = 0 ;
  int ending = 0 ;
  tain deadline ;

  tain_now_g() ;
  if (idlesecs) tain_addsec_g(&deadline, idlesecs) ;
  else deadline = tain_infinite ;

  for (;;)
  {
    int progress = 0 ;
    int r ;

    if (!appeof && !apprd && room(&up))
    {
      ssize_t n = fd_read(fromapp, up.s + up.len, sizeof(up.s) - up.len) ;
      if (n > 0) { up.len += (size_t)n ; progress = 1 ; }
      else if (!n) { appeof = 1 ; progress = 1 ; }
      else if (error_isagain(errno)) apprd = 1 ;
      else { appeof = 1 ; progress = 1 ; }
    }

    if (up.pos < up.len && !sslwr)
    {
      r = ssl_out(ssl, &sslwr) ;
      if (r < 0) return 1 ;
      if (r) progress = 1 ;
    }

    if (!neteof && !appgone && !sslrd && room(&down))
    {
      r = ssl_in(ssl, &sslrd, &neteof) ;
      if (r < 0)
      {
        if (down.pos < down.len) allwrite(toapp, down.s + down.pos, down.len - down.pos) ;
        return 1 ;
      }
      if (r) progress = 1 ;
    }

    if (down.pos < down.len && !appwr && !appgone)
    {
      ssize_t n = fd_write(toapp, down.s + down.pos, down.len - down.pos) ;
      if (n > 0) { down.pos += (size_t)n ; progress = 1 ; }
      else if (n < 0 && error_isagain(errno)) appwr = 1 ;
      else { appgone = 1 ; progress = 1 ; }
    }

    if (appgone || (appeof && up.pos == up.len))
    {
      tain_now_g() ;
      tain_addsec_g(&deadline, TLSD_SHUTDOWN_SECS) ;
      goodbye(ssl, net, &deadline) ;
      return 0 ;
    }
    if (neteof && down.pos == down.len)
    {
      fd_close(toapp) ;
      tain_now_g() ;
      tain_addsec_g(&deadline, TLSD_SHUTDOWN_SECS) ;
      goodbye(ssl, net, &deadline) ;
      return 0 ;
    }
    if (!ending && (appeof || neteof)) ending = 1 ;

    if (progress)
    {
      tain_now_g() ;
      if (ending) tain_addsec_g(&deadline, TLSD_SHUTDOWN_SECS) ;
      else if (idlesecs) tain_addsec_g(&deadline, idlesecs) ;
      continue ;
    }

    {
      iopause_fd x[3] ;
      unsigned int n = 0 ;
      unsigned int netev = 0 ;
      int inet = -1, iin = -1, iout = -1 ;
      if (!neteof && !appgone && room(&down)) netev |= sslrd ;
      if (up.pos < up.len) netev |= sslwr ;
      if (netev) { x[n].fd = net ; x[n].events = netev ; inet = n++ ; }
      if (apprd && !appeof && room(&up)) { x[n].fd = fromapp ; x[n].events = IOPAUSE_READ ; iin = n++ ; }
      if (appwr && down.pos < down.len) { x[n].fd = toapp ; x[n].events = IOPAUSE_WRITE ; iout = n++ ; }
      if (!n)
      {
        /* cannot happen: whatever is wanted and blocked is waited for */
        log_error("relay stalled") ;
        return 101 ;
      }
      tain_now_g() ;
      r = iopause_g(x, n, &deadline) ;
      if (r < 0)
      {
        if (errno == EINTR) continue ;
        log_error("iopause failed") ;
        return 111 ;
      }
      if (!r)
      {
        log_error(ending ? "timed out while closing" : "idle timeout") ;
        return 99 ;
      }
      if (inet >= 0)
      {
        unsigned int ev = x[inet].revents ;
        if (ev & IOPAUSE_EXCEPT) ev |= IOPAUSE_READ | IOPAUSE_WRITE ;
        if (sslrd & ev) sslrd = 0 ;
        if (sslwr & ev) sslwr = 0 ;
      }
      if (iin >= 0 && x[iin].revents) apprd = 0 ;
      if (iout >= 0 && x[iout].revents) appwr = 0 ;
    }
  }
}

/* ISC license. */

#include <errno.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unixmessage.h>

#include "common/log.h"
#include "delivconn.h"

#define REPLY_TIMEOUT 60   /* for queued to take our answer */

static void log_protocol (char const *reason)
{
  log_event1("protocol_error", "reason", reason) ;
}

static void close_fds (unixmessage const *m)
{
  for (unsigned int i = 0 ; i < m->nfds ; i++) fd_close(m->fds[i]) ;
}

 /* Sends the reply; 0 if queued went away first. */
static int reply_send (unixmessage_sender *out, stralloc const *reply)
{
  unixmessage rm = { .s = reply->s, .len = reply->len, .fds = 0, .nfds = 0 } ;
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, REPLY_TIMEOUT) ;
  if (!unixmessage_put(out, &rm)) strerr_diefusys(111, "queue the reply") ;
  if (!unixmessage_sender_timed_flush_g(out, &deadline))
  {
    if (errno == EPIPE) { log_protocol("connection closed before the reply") ; return 0 ; }
    strerr_diefusys(111, "send the reply") ;
  }
  return 1 ;
}

void delivconn_serve (delivconn const *c)
{
  char mainbuf[UNIXMESSAGE_BUFSIZE] ;
  char auxbuf[UNIXMESSAGE_AUXBUFSIZE] ;
  unixmessage_receiver in ;
  unixmessage_sender out = UNIXMESSAGE_SENDER_ZERO ;
  stralloc reply = STRALLOC_ZERO ;

  if (unixmessage_receiver_init(&in, 0, mainbuf, sizeof(mainbuf), auxbuf, sizeof(auxbuf)) == 0)
    strerr_diefusys(111, "initialize the message receiver") ;
  unixmessage_sender_init(&out, 1) ;

  for (;;)
  {
    unixmessage m ;
    char const *why ;
    struct stat st ;
    tain deadline ;
    int r ;

    tain_now_g() ;
    tain_addsec_g(&deadline, c->idle) ;
     /* A client that pipelines may already have the next request in our
        buffer: then there is nothing to peek at. */
    r = unixmessage_receiver_isempty(&in) ? delivconn_next(c, &deadline) : 1 ;
    if (!r) return ;   /* queued closed the connection */
    if (r < 0)
    {
      if (errno == ETIMEDOUT)
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, c->idle)] = 0 ;
        log_event1("idle_timeout", "seconds", fmt) ;
        return ;
      }
      if (errno == EMSGSIZE) { log_protocol("request too long") ; return ; }
      if (errno == EPROTO) { log_protocol("request without exactly one fd") ; return ; }
      strerr_diefusys(111, "read from queued") ;
    }
    r = unixmessage_timed_receive_g(&in, &m, &deadline) ;
    if (r <= 0)
    {
      if (errno == EPIPE) { log_protocol("connection closed in a request") ; return ; }
      if (errno == ETIMEDOUT) { log_protocol("timeout in a request") ; return ; }
      if (errno == EPROTO || errno == ENOBUFS) { log_protocol("malformed message framing") ; return ; }
      strerr_diefusys(111, "receive a request") ;
    }
    if (m.nfds != 1) { close_fds(&m) ; log_protocol("request without exactly one fd") ; return ; }
    if (!(*c->parse)(m.s, m.len, &why, c->data)) { close_fds(&m) ; log_protocol(why) ; return ; }
    if (fstat(m.fds[0], &st) == -1 || !S_ISREG(st.st_mode))
    {
      close_fds(&m) ;
      log_protocol("the fd is not a regular file") ;
      return ;
    }
    (*c->handle)(m.fds[0], &reply, c->data) ;
    close_fds(&m) ;
    if (!reply_send(&out, &reply)) return ;
  }
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/byeline.h"
#include "common/lineio.h"
#include "common/log.h"
#include "imapd/imapd.h"

/* Blocking-style I/O with deadlines: before login a client has nothing
 * to wait for but its own command's answer, so no event loop is needed. */

static void lost (imapd *d, char const *what)
{
  log_event3("client_lost", "ip", d->p.rip, "during", what, "error", strerror(errno)) ;
  _exit(errno == ETIMEDOUT ? 99 : 0) ;
}

void imapd_put (imapd *d, char const *s, size_t len)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, IMAPD_WRITE_SECS) ;
  if (!lineio_put(&d->out, s, len, &deadline)) lost(d, "write") ;
}

void imapd_puts (imapd *d, char const *s)
{
  imapd_put(d, s, strlen(s)) ;
}

void imapd_tagged (imapd *d, char const *tag, char const *text)
{
  size_t tl = strlen(tag), xl = strlen(text) ;
  char buf[IMAP_TAG_MAX + 1024] ;
  if (tl + xl + 3 > sizeof(buf)) { imapd_puts(d, tag) ; imapd_puts(d, " ") ; imapd_puts(d, text) ; imapd_puts(d, "\r\n") ; return ; }
  memcpy(buf, tag, tl) ;
  buf[tl] = ' ' ;
  memcpy(buf + tl + 1, text, xl) ;
  memcpy(buf + tl + 1 + xl, "\r\n", 2) ;
  imapd_put(d, buf, tl + xl + 3) ;
}

void imapd_untagged (imapd *d, char const *text)
{
  imapd_tagged(d, "*", text) ;
}

void imapd_bye (imapd *d, char const *text, int e)
{
  byeline_send(&d->out, "* BYE ", text) ;
  _exit(e) ;
}

void imapd_touch (imapd *d)
{
  tain_now_g() ;
  tain_add_g(&d->deadline, &d->idle) ;
}

int imapd_fill (imapd *d)
{
  ssize_t r = buffer_timed_fill(&d->in, &d->deadline, &STAMP) ;
  if (r > 0) return 1 ;
  if (!r) return 0 ;
  if (errno == ETIMEDOUT)
  {
    log_event1("idle_timeout", "ip", d->p.rip) ;
    imapd_bye(d, "Autologout; idle for too long", 99) ;
  }
  if (errno == EPIPE || errno == ECONNRESET) return 0 ;
  lost(d, "read") ;
  return 0 ;
}

int imapd_getline (imapd *d, char *buf, size_t max, size_t *len)
{
  unsigned int flags ;
  int r = lineio_get(&d->in, buf, max, len, &flags, &d->deadline) ;
  if (r > 0) return 1 ;
  if (!r) return -1 ;
  if (errno == ERANGE) return 0 ;
  if (errno == ETIMEDOUT)
  {
    log_event1("idle_timeout", "ip", d->p.rip) ;
    imapd_bye(d, "Autologout; idle for too long", 99) ;
  }
  return -1 ;
}

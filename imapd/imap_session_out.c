/* ISC license. */

/* Every response goes through imap_out: it is queued in plain; once
 * IMAP_SIO_OUT_HIGH bytes are waiting, or when the loop is about to
 * wait for input, imap_sio_flush deflates them (COMPRESS) and writes
 * them out, giving a client IMAP_WRITE_TIMEOUT seconds to make room.
 * A client that does not read its answers is dropped, never buffered
 * without bound. */

#include <errno.h>
#include <string.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include "imapd/imap_session-internal.h"

static int write_wire (void)
{
  size_t pos = 0 ;
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, IMAP_WRITE_TIMEOUT) ;
  while (pos < imap_sio.wire.len)
  {
    ssize_t w = fd_write(1, imap_sio.wire.s + pos, imap_sio.wire.len - pos) ;
    if (w > 0) { pos += w ; continue ; }
    if (w < 0 && !error_isagain(errno)) break ;
    {
      iopause_fd x = { .fd = 1, .events = IOPAUSE_WRITE, .revents = 0 } ;
      int r = iopause_g(&x, 1, &deadline) ;
      if (r < 0 && errno != EINTR) break ;
      if (!r) { errno = ETIMEDOUT ; break ; }
    }
  }
  if (pos < imap_sio.wire.len)
  {
    imap_sio.dead = 1 ;
    imap_sio.wire.len = 0 ;
    return 0 ;
  }
  imap_sio.wire.len = 0 ;
  return 1 ;
}

int imap_sio_flush (void)
{
  if (imap_sio.dead) { imap_sio.plain.len = 0 ; return 0 ; }
  if (imap_sio.compress)
  {
    /* nothing to say: no empty sync block either */
    if (imap_sio.plain.len && !imap_sio_deflate(imap_sio.plain.s, imap_sio.plain.len, 1))
    {
      imap_sio.dead = 1 ;
      return 0 ;
    }
  }
  else if (imap_sio.plain.len && !stralloc_catb(&imap_sio.wire, imap_sio.plain.s, imap_sio.plain.len))
  {
    imap_sio.dead = 1 ;
    return 0 ;
  }
  imap_sio.plain.len = 0 ;
  return imap_sio.wire.len ? write_wire() : 1 ;
}

int imap_out (imap_session *s, char const *p, size_t len)
{
  (void)s ;
  if (imap_sio.dead) return 0 ;
  if (!stralloc_catb(&imap_sio.plain, p, len))
  {
    imap_sio.dead = 1 ;
    return 0 ;
  }
  if (imap_sio.plain.len >= IMAP_SIO_OUT_HIGH) return imap_sio_flush() ;
  return 1 ;
}

int imap_outs (imap_session *s, char const *p)
{
  return imap_out(s, p, strlen(p)) ;
}

/* BADs are counted here, where every completion passes: the session
 * ends after max_bad of them in a row (the loop checks). */
int imap_tagged (imap_session *s, char const *tag, char const *text)
{
  if (!strncmp(text, "BAD", 3))
  {
    s->bad_commands++ ;
    imap_log_event(s, "bad_command", "tag", tag) ;
  }
  else s->bad_commands = 0 ;
  return imap_outs(s, tag) && imap_out(s, " ", 1) && imap_outs(s, text) && imap_out(s, "\r\n", 2) ;
}

int imap_tagged2 (imap_session *s, char const *tag, char const *a, char const *b)
{
  if (!stralloc_copys(&imap_sio.tmp, a) || !stralloc_cats(&imap_sio.tmp, b) || !stralloc_0(&imap_sio.tmp)) return 0 ;
  return imap_tagged(s, tag, imap_sio.tmp.s) ;
}

int imap_untagged (imap_session *s, char const *text)
{
  return imap_out(s, "* ", 2) && imap_outs(s, text) && imap_out(s, "\r\n", 2) ;
}

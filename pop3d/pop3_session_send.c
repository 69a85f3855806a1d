/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/uint64.h>

#include "common/log.h"
#include "common/mbox.h"
#include "pop3d/pop3_session.h"

/* RETR and TOP (RFC 1939 §3, §7): the stored message (LF or CRLF line
 * ends) goes out with CRLF line ends, a '.' doubled at the start of
 * any line, a CRLF added if the last line had none, then ".". TOP
 * sends the header, the blank line and the first lines of the body. */

#define CHUNK 8192

typedef struct sender_s sender ;
struct sender_s
{
  unsigned int linestart : 1 ;
  unsigned int prevcr : 1 ;
  unsigned int inbody : 1 ;
  unsigned int done : 1 ;
  size_t linelen ;      /* bytes on the current line, CR excluded */
  int64_t lines ;       /* TOP: body lines still to send; < 0: all */
  uint64_t sent ;
} ;

/* Converts in[0..len) into out (room for 2*len + 2 bytes: each byte can
 * become two); returns the bytes written. */
static size_t convert (sender *x, char const *in, size_t len, char *out)
{
  size_t w = 0 ;
  for (size_t i = 0 ; i < len && !x->done ; i++)
  {
    char c = in[i] ;
    if (x->linestart && x->inbody && x->lines == 0) { x->done = 1 ; break ; }
    if (x->linestart && c == '.') out[w++] = '.' ;
    if (c == '\n')
    {
      if (!x->prevcr) out[w++] = '\r' ;
      out[w++] = '\n' ;
      if (!x->inbody) { if (!x->linelen) x->inbody = 1 ; }
      else if (x->lines > 0) x->lines-- ;
      x->linestart = 1 ;
      x->linelen = 0 ;
      x->prevcr = 0 ;
      continue ;
    }
    out[w++] = c ;
    x->linestart = 0 ;
    if (c == '\r') x->prevcr = 1 ;
    else { x->prevcr = 0 ; x->linelen++ ; }
  }
  return w ;
}

int64_t pop3_session_send (pop3_session *s, size_t i, int64_t lines)
{
  char in[CHUNK] ;
  char out[2 * CHUNK + 2] ;
  sender x = { .linestart = 1, .prevcr = 0, .inbody = 0, .done = 0, .linelen = 0, .lines = lines, .sent = 0 } ;
  int fd = mbox_open_msg(&s->box, i) ;
  if (fd < 0) return -1 ;
  pop3_io_puts(&s->io, "+OK ") ;
  {
    char num[UINT64_FMT] ;
    if (lines < 0)
    {
      num[uint64_fmt(num, mbox_at(&s->box, i)->size)] = 0 ;
      pop3_io_puts(&s->io, num) ;
      pop3_io_puts(&s->io, " octets\r\n") ;
    }
    else pop3_io_puts(&s->io, "Top of message follows\r\n") ;
  }
  while (!x.done)
  {
    ssize_t r = fd_read(fd, in, sizeof(in)) ;
    if (r < 0)
    {
      /* the "+OK" is out: the client cannot be told any other way */
      log_event3("read_fail", "ip", s->rip, "user", s->user, "error", strerror(errno)) ;
      fd_close(fd) ;
      pop3_io_flush(&s->io) ;
      if (s->io.on_close) (*s->io.on_close)() ;
      _exit(111) ;
    }
    if (!r) break ;
    {
      size_t w = convert(&x, in, (size_t)r, out) ;
      x.sent += w ;
      pop3_io_put(&s->io, out, w) ;
    }
  }
  fd_close(fd) ;
  if (!x.linestart) { pop3_io_put(&s->io, "\r\n", 2) ; x.sent += 2 ; }
  pop3_io_reply(&s->io, ".") ;
  return (int64_t)x.sent ;
}

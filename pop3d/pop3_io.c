/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#include "common/byeline.h"
#include "common/lineio.h"
#include "common/log.h"
#include "pop3d/pop3_io.h"

/* Blocking-style I/O with deadlines: a POP3 client waits for the answer
 * to its own command and nothing else happens meanwhile, so neither half
 * needs an event loop. */

static void lost (pop3_io *io, char const *what) gccattr_noreturn ;
static void lost (pop3_io *io, char const *what)
{
  int e = errno ;
  log_event3("client_lost", "ip", io->rip, "during", what, "error", strerror(e)) ;
  if (io->on_close) (*io->on_close)() ;
  _exit(e == ETIMEDOUT ? 99 : 0) ;
}

void pop3_io_init (pop3_io *io, unsigned int idlesecs)
{
  buffer_init(&io->in, &buffer_read, 0, io->inbuf, sizeof(io->inbuf)) ;
  buffer_init(&io->out, &buffer_write, 1, io->outbuf, sizeof(io->outbuf)) ;
  tain_uint(&io->idle, idlesecs) ;
  pop3_io_touch(io) ;
}

void pop3_io_touch (pop3_io *io)
{
  tain_now_g() ;
  tain_add_g(&io->deadline, &io->idle) ;
}

void pop3_io_flush (pop3_io *io)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, POP3_WRITE_SECS) ;
  if (!lineio_flush(&io->out, &deadline)) lost(io, "write") ;
}

void pop3_io_put (pop3_io *io, char const *s, size_t len)
{
  while (len)
  {
    size_t w = buffer_putnoflush(&io->out, s, len) ;
    s += w ;
    len -= w ;
    if (len) pop3_io_flush(io) ;
  }
}

void pop3_io_puts (pop3_io *io, char const *s)
{
  pop3_io_put(io, s, strlen(s)) ;
}

void pop3_io_reply (pop3_io *io, char const *text)
{
  pop3_io_puts(io, text) ;
  pop3_io_put(io, "\r\n", 2) ;
  if (!lineio_pending(&io->in)) pop3_io_flush(io) ;
}

void pop3_io_bye (pop3_io *io, char const *text, int e)
{
  byeline_send(&io->out, "-ERR ", text) ;
  if (io->on_close) (*io->on_close)() ;
  _exit(e) ;
}

int pop3_io_getline (pop3_io *io, char *buf, size_t max, size_t *len, unsigned int *flags)
{
  int r ;
  if (buffer_len(&io->out)) pop3_io_flush(io) ;
  r = lineio_get(&io->in, buf, max, len, flags, &io->deadline) ;
  if (r > 0) return 1 ;
  if (!r) return -1 ;
  if (errno == ERANGE) return 0 ;
  if (errno == ETIMEDOUT)
  {
    log_event2("idle_timeout", "ip", io->rip, "session", io->session) ;
    pop3_io_bye(io, "Disconnected for inactivity.", 99) ;
  }
  if (errno == EPIPE || errno == ECONNRESET) return -1 ;
  lost(io, "read") ;
}

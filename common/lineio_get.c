/* ISC license. */

#include <errno.h>
#include <sys/uio.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/lineio.h"

/* Bytes are consumed from the buffer as they are scanned, so a line may
 * be longer than the buffer itself and nothing is ever read twice. The
 * CR of a CR LF is only known to be one when the LF arrives, so a CR is
 * held back (cr_pending) until the next byte says what it was. */

typedef struct linestate_s linestate ;
struct linestate_s
{
  char *buf ;
  size_t max ;
  size_t n ;
  unsigned int flags ;
  int cr_pending ;
  int toolong ;
} ;

static int store (linestate *st, char c)
{
  if (st->n + 1 >= st->max) { st->toolong = 1 ; return 0 ; }
  st->buf[st->n++] = c ;
  return 1 ;
}

/* Scans s[0..len). Returns 1 with *used covering the LF when the line
 * is complete, 0 with *used = len otherwise. */
static int scan (linestate *st, char const *s, size_t len, size_t *used)
{
  size_t i = 0 ;
  for (; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '\n')
    {
      if (st->cr_pending) st->flags |= LINEIO_CRLF ;
      *used = i + 1 ;
      return 1 ;
    }
    if (st->toolong) continue ;
    if (st->cr_pending)
    {
      st->cr_pending = 0 ;
      st->flags |= LINEIO_BARECR ;
      if (!store(st, '\r')) continue ;
    }
    if (c == '\r') { st->cr_pending = 1 ; continue ; }
    if (!c) st->flags |= LINEIO_NUL ;
    store(st, c) ;
  }
  *used = len ;
  return 0 ;
}

int lineio_get (buffer *b, char *buf, size_t max, size_t *len, unsigned int *flags, tain const *deadline)
{
  linestate st = { .buf = buf, .max = max, .n = 0, .flags = 0, .cr_pending = 0, .toolong = 0 } ;
  int seen = 0 ;
  *len = 0 ;
  *flags = 0 ;
  if (!max) return (errno = EINVAL, -1) ;
  tain_now_g() ;
  for (;;)
  {
    struct iovec v[2] ;
    size_t total = 0 ;
    int done = 0 ;
    unsigned int j = 0 ;
    buffer_rpeek(b, v) ;
    for (; j < 2 && !done ; j++)
    {
      size_t used ;
      done = scan(&st, v[j].iov_base, v[j].iov_len, &used) ;
      total += used ;
    }
    if (total) seen = 1 ;
    buffer_rseek(b, total) ;
    if (done) break ;
    {
      ssize_t r = buffer_timed_fill(b, deadline, &STAMP) ;
      if (r < 0) return -1 ;
      if (!r) return seen ? (errno = EPIPE, -1) : 0 ;
    }
  }
  if (st.toolong) return (errno = ERANGE, -1) ;
  buf[st.n] = 0 ;
  *len = st.n ;
  *flags = st.flags ;
  return 1 ;
}

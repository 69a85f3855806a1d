/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/qinject-internal.h"

/* Reads the one answer line before the deadline. The server writes
 * nothing else until the next message, so reading in bulk takes nothing
 * that belongs to a later answer. */
static char read_answer (qinject *q, char *reply, size_t max, tain const *deadline)
{
  size_t len = 0 ;
  iopause_fd x = { .fd = q->fd, .events = IOPAUSE_READ } ;
  if (max < 3) return (errno = EINVAL, 0) ;
  for (;;)
  {
    ssize_t r = sanitize_read(fd_read(q->fd, reply + len, max - 1 - len)) ;
    if (r < 0) return 0 ;   /* EPIPE: the server closed without answering */
    if (r > 0)
    {
      char *lf = memchr(reply + len, '\n', r) ;
      len += r ;
      if (lf)
      {
        if ((size_t)(lf - reply) != len - 1) return (errno = EPROTO, 0) ;
        *lf = 0 ;
        return qinject_answer_letter(reply, len - 1) ;
      }
      if (len >= max - 1) return (errno = EPROTO, 0) ;
      continue ;
    }
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0) return 0 ;
    if (!r) return (errno = ETIMEDOUT, 0) ;
  }
}

char qinject_finish (qinject *q, char *reply, size_t max, tain const *deadline)
{
  char c ;
  int sent = 1 ;
  if (q->fd < 0) return (errno = EBADF, 0) ;
  if (!q->inmessage && !qinject_netstring(q, 0, "", 0, deadline)) sent = 0 ;
  if (sent && !qinject_netstring(q, 0, "", 0, deadline)) sent = 0 ;
  if (sent && !buffer_timed_flush(&q->out, deadline, &STAMP)) sent = 0 ;
  q->inmessage = 0 ;
  if (!sent)
  {
    /* A server that refused early closed its end: its answer may be
     * waiting even though our write failed. */
    if (errno != EPIPE && errno != ECONNRESET) return 0 ;
  }
  c = read_answer(q, reply, max, deadline) ;
  return c ;
}

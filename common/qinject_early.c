/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/qinject-internal.h"

char qinject_early (qinject *q, char *reply, size_t max)
{
  ssize_t r ;
  char *lf ;
  if (q->fd < 0 || max < 3) return 0 ;
  /* Peek first: consume only a whole line, so a partial one stays in the
   * socket for the next call or for qinject_finish. */
  do r = recv(q->fd, reply, max - 1, MSG_PEEK | MSG_DONTWAIT) ;
  while (r < 0 && errno == EINTR) ;
  if (r <= 0) return 0 ;
  lf = memchr(reply, '\n', r) ;
  if (!lf) return 0 ;
  r = lf - reply + 1 ;
  {
    ssize_t got ;
    do got = recv(q->fd, reply, r, MSG_DONTWAIT) ;
    while (got < 0 && errno == EINTR) ;
    if (got != r) return 0 ;
  }
  reply[r - 1] = 0 ;
  return qinject_answer_letter(reply, r - 1) ;
}

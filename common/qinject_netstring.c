/* ISC license. */

#include <stddef.h>
#include <skalibs/types.h>
#include <skalibs/tai.h>
#include <skalibs/unix-timed.h>

#include "common/qinject-internal.h"

int qinject_netstring (qinject *q, char tag, char const *s, size_t len, tain const *deadline)
{
  char head[SIZE_FMT + 2] ;
  size_t n = size_fmt(head, len + !!tag) ;
  head[n++] = ':' ;
  if (tag) head[n++] = tag ;
  if (buffer_timed_put(&q->out, head, n, deadline, &STAMP) < n) return 0 ;
  if (len && buffer_timed_put(&q->out, s, len, deadline, &STAMP) < len) return 0 ;
  return buffer_timed_put(&q->out, ",", 1, deadline, &STAMP) == 1 ;
}

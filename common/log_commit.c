/* ISC license. */

#include <errno.h>

#include <skalibs/allreadwrite.h>

#include "common/log-internal.h"

/* One write(2) per line: a pipe write of at most PIPE_BUF bytes (4096 on
 * Linux, above LOGLINE_MAX) is atomic, so lines from processes sharing
 * the log pipe never interleave. Verbosity 0 silences events. A failed
 * log write is not worth dying for, and errno is kept so that a caller
 * can log an error and then still report it. */

void log_commit (logline *l)
{
  int e = errno ;
  if (!log_verbosity) return ;
  l->buf[l->len] = '\n' ;
  allwrite(2, l->buf, l->len + 1) ;
  errno = e ;
}

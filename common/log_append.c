/* ISC license. */

#include <string.h>

#include "common/log-internal.h"

/* Raw append with truncation. Once a line has been cut, len sits at
 * LOG_CONTENT_MAX and every later append only rewrites the same "...",
 * so the marker survives however much the caller keeps adding. */

void log_append (logline *l, char const *s, size_t n)
{
  if (!n) return ;
  if (n <= LOG_CONTENT_MAX - l->len)
  {
    memcpy(l->buf + l->len, s, n) ;
    l->len += n ;
    return ;
  }
  if (l->len < LOG_CUT_AT)
  {
    memcpy(l->buf + l->len, s, LOG_CUT_AT - l->len) ;
  }
  memcpy(l->buf + LOG_CUT_AT, "...", 3) ;
  l->len = LOG_CONTENT_MAX ;
}

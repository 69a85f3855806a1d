/* ISC license. */

/* The message on stdin (docs/filters.md): read until EOF, at most max
 * bytes kept; the rest is drained so queued's writer never blocks, and
 * the message is marked truncated (then it is not verified, only
 * judged by SPF and its header). queued's PH_FILTER_TIMEOUT bounds
 * the time. */

#include <errno.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "filter.h"

void filter_read (filter *f, size_t max)
{
  char drain[8192] ;
  for (;;)
  {
    ssize_t r ;
    if (f->msg.len < max)
    {
      size_t want = max - f->msg.len < 65536 ? max - f->msg.len : 65536 ;
      if (!stralloc_readyplus(&f->msg, want)) strerr_diefu1sys(111, "allocate memory") ;
      r = read(0, f->msg.s + f->msg.len, want) ;
      if (r > 0) { f->msg.len += (size_t)r ; continue ; }
    }
    else
    {
      r = read(0, drain, sizeof(drain)) ;
      if (r > 0) { f->truncated = 1 ; continue ; }
    }
    if (!r) return ;
    if (errno == EINTR) continue ;
    strerr_diefu1sys(111, "read the message") ;
  }
}

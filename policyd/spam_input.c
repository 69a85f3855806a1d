/* ISC license. */

/* The message on stdin (docs/filters.md): at most max bytes kept, the
 * rest drained so queued's writer never blocks; a longer message is
 * scored on its beginning (its header is all there: the header section
 * of a message that exceeds max is cut, and is scored as it is).
 * queued's PH_FILTER_TIMEOUT bounds the time. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "spam.h"

size_t spam_header_length (char const *s, size_t len)
{
  /* the first empty line ends the header section (LF or CRLF) */
  if (len && s[0] == '\n') return 1 ;
  for (size_t i = 0 ; i + 1 < len ; i++)
    if (s[i] == '\n' && (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
      return s[i + 1] == '\n' ? i + 2 : i + 3 ;
  return len ;
}

void spam_read (spam *s, size_t max)
{
  char drain[8192] ;
  for (;;)
  {
    ssize_t r ;
    if (s->msg.len < max)
    {
      size_t want = max - s->msg.len < 65536 ? max - s->msg.len : 65536 ;
      if (!stralloc_readyplus(&s->msg, want)) strerr_diefu1sys(111, "allocate memory") ;
      r = read(0, s->msg.s + s->msg.len, want) ;
      if (r > 0) { s->msg.len += (size_t)r ; continue ; }
    }
    else
    {
      r = read(0, drain, sizeof(drain)) ;
      if (r > 0) { s->truncated = 1 ; continue ; }
    }
    if (!r) break ;
    if (errno == EINTR) continue ;
    strerr_diefu1sys(111, "read the message") ;
  }
  s->hlen = spam_header_length(s->msg.s, s->msg.len) ;
}

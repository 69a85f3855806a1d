/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/stralloc.h>

#include "sendmail.h"

/* Line ends are fixed as bytes arrive: a CR right before an LF is
 * dropped. A CR elsewhere stays a byte of the line, as in Postfix; it is
 * never a line end. The lone-dot rule is sendmail's (and Postfix's)
 * interactive end of input, without any dot-unstuffing. */

static int lone_dot (stralloc const *sa, size_t linestart)
{
  return sa->len - linestart == 1 && sa->s[linestart] == '.' ;
}

int sm_read (stralloc *sa, size_t max, int ignoredots)
{
  char buf[65536] ;
  size_t linestart = sa->len ;
  size_t base = sa->len ;
  int first = 1 ;
  for (;;)
  {
    ssize_t r = sanitize_read(fd_read(0, buf, sizeof(buf))) ;
    size_t i = 0 ;
    if (r < 0)
    {
      if (errno == EPIPE) break ;   /* EOF */
      if (errno == EAGAIN) { errno = EIO ; return 0 ; }  /* a non-blocking stdin */
      return 0 ;
    }
    if (memchr(buf, 0, r)) return (errno = EILSEQ, 0) ;
    while (i < (size_t)r)
    {
      char const *lf = memchr(buf + i, '\n', r - i) ;
      size_t n = lf ? (size_t)(lf - (buf + i)) : r - i ;
      if (sa->len - base + n > max) return (errno = EFBIG, 0) ;
      if (!stralloc_catb(sa, buf + i, n)) return 0 ;
      i += n ;
      if (!lf) break ;
      i++ ;
      /* a complete line in sa[linestart..len) */
      if (sa->len > linestart && sa->s[sa->len - 1] == '\r') sa->len-- ;
      if (!ignoredots && lone_dot(sa, linestart)) { sa->len = linestart ; return 1 ; }
      if (first && sa->len - linestart >= 5 && !memcmp(sa->s + linestart, "From ", 5))
        sa->len = linestart ;   /* an mbox separator, not a header */
      else
      {
        if (sa->len - base + 1 > max) return (errno = EFBIG, 0) ;
        if (!stralloc_catb(sa, "\n", 1)) return 0 ;
      }
      first = 0 ;
      linestart = sa->len ;
    }
  }
  if (sa->len > linestart)
  {
    /* the last line had no LF */
    if (sa->s[sa->len - 1] == '\r') sa->len-- ;
    if (!ignoredots && lone_dot(sa, linestart)) { sa->len = linestart ; return 1 ; }
    if (sa->len > linestart)
    {
      if (sa->len - base + 1 > max) return (errno = EFBIG, 0) ;
      if (!stralloc_catb(sa, "\n", 1)) return 0 ;
    }
  }
  return 1 ;
}

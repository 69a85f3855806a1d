/* ISC license. */

#include <skalibs/uint64.h>

#include "common/maildirsize.h"

static size_t fmt_signed (char *s, int64_t v)
{
  size_t n = 0 ;
  uint64_t u = (uint64_t)v ;
  if (v < 0)
  {
    s[n++] = '-' ;
    u = -u ;   /* modulo 2^64: right for INT64_MIN too */
  }
  return n + uint64_fmt(s + n, u) ;
}

size_t maildirsize_fmt_line (char *s, int64_t bytes, int64_t count)
{
  size_t n = fmt_signed(s, bytes) ;
  s[n++] = ' ' ;
  n += fmt_signed(s + n, count) ;
  s[n++] = '\n' ;
  s[n] = 0 ;
  return n ;
}

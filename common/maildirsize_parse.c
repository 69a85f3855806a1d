/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include "common/maildirsize.h"

 /* The grammar is in common/maildirsize.h. The file is semi-trusted
    (Dovecot, Courier and people write it), so every number is bounded
    (19 digits fit an int64), every sum is checked for overflow, and
    anything unexpected is "malformed": the caller then recalculates. */

#define MAXDIGITS 19

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' ;
}

 /* digits at s[*pos..len) into *v, at most MAXDIGITS of them */
static int scan_digits (char const *s, size_t len, size_t *pos, uint64_t *v)
{
  size_t i = *pos ;
  uint64_t x = 0 ;
  while (i < len && s[i] >= '0' && s[i] <= '9')
  {
    if (i - *pos >= MAXDIGITS) return 0 ;
    x = x * 10 + (uint64_t)(s[i] - '0') ;
    i++ ;
  }
  if (i == *pos) return 0 ;
  *pos = i ;
  *v = x ;
  return 1 ;
}

static int scan_signed (char const *s, size_t len, size_t *pos, int64_t *v)
{
  int neg = 0 ;
  uint64_t x ;
  if (*pos < len && s[*pos] == '-') { neg = 1 ; (*pos)++ ; }
  if (!scan_digits(s, len, pos, &x)) return 0 ;
   /* 19 digits are below 10^19 but may exceed INT64_MAX */
  if (x > (uint64_t)INT64_MAX) return 0 ;
  *v = neg ? -(int64_t)x : (int64_t)x ;
  return 1 ;
}

static int add_checked (int64_t *sum, int64_t v)
{
  if (v > 0 && *sum > INT64_MAX - v) return 0 ;
  if (v < 0 && *sum < INT64_MIN - v) return 0 ;
  *sum += v ;
  return 1 ;
}

 /* "10485760S,1000C": the first line, without its LF */
static int parse_limits (char const *s, size_t len, maildirsize *m)
{
  size_t pos = 0 ;
  int seen_s = 0, seen_c = 0 ;
  if (!len) return 1 ;
  for (;;)
  {
    uint64_t v ;
    if (!scan_digits(s, len, &pos, &v) || pos >= len) return 0 ;
    switch (s[pos])
    {
      case 'S' :
        if (seen_s++) return 0 ;
        m->limit_bytes = v ;
        break ;
      case 'C' :
        if (seen_c++) return 0 ;
        m->limit_count = v ;
        break ;
      default :
         /* a letter of some later extension: not ours to enforce */
        if (!((s[pos] >= 'A' && s[pos] <= 'Z') || (s[pos] >= 'a' && s[pos] <= 'z'))) return 0 ;
        break ;
    }
    pos++ ;
    if (pos == len) return 1 ;
    if (s[pos++] != ',') return 0 ;
  }
}

static int parse_line (char const *s, size_t len, int64_t *bytes, int64_t *count)
{
  size_t pos = 0 ;
  while (pos < len && isblank_(s[pos])) pos++ ;
  if (!scan_signed(s, len, &pos, bytes)) return 0 ;
  if (pos >= len || !isblank_(s[pos])) return 0 ;
  while (pos < len && isblank_(s[pos])) pos++ ;
  if (!scan_signed(s, len, &pos, count)) return 0 ;
  while (pos < len && isblank_(s[pos])) pos++ ;
  return pos == len ;
}

int maildirsize_parse (char const *s, size_t len, maildirsize *m)
{
  maildirsize r = MAILDIRSIZE_ZERO ;
  int64_t bytes = 0, count = 0 ;
  size_t pos = 0 ;
  int first = 1 ;
  if (!len || s[len - 1] != '\n') return (errno = EINVAL, 0) ;
  while (pos < len)
  {
    size_t end = pos ;
    while (s[end] != '\n') end++ ;   /* the last byte is a LF */
    if (first)
    {
      if (!parse_limits(s + pos, end - pos, &r)) return (errno = EINVAL, 0) ;
      first = 0 ;
    }
    else
    {
      int64_t b, c ;
      if (!parse_line(s + pos, end - pos, &b, &c)
       || !add_checked(&bytes, b) || !add_checked(&count, c)) return (errno = EINVAL, 0) ;
      if (r.lines < UINT32_MAX) r.lines++ ;
    }
    pos = end + 1 ;
  }
  if (bytes < 0 || count < 0) return (errno = EINVAL, 0) ;
  r.bytes = (uint64_t)bytes ;
  r.count = (uint64_t)count ;
  *m = r ;
  return 1 ;
}

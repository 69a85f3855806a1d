/* ISC license. */

#include <errno.h>

#include <skalibs/uint64.h>

#include "common/maildirsize.h"

int maildirsize_status_parse (char const *s, size_t len, uint64_t *usage, uint64_t *limit)
{
  size_t pos, n ;
  uint64_t u, l ;
  if (!len || len > MAILDIRSIZE_STATUS_MAX || s[len - 1] != '\n') goto bad ;
  if (s[0] < '0' || s[0] > '9') goto bad ;
  n = uint64_scan(s, &u) ;
  if (!n || n >= len || s[n] != ' ') goto bad ;
  pos = n + 1 ;
  if (s[pos] < '0' || s[pos] > '9') goto bad ;
  n = uint64_scan(s + pos, &l) ;
  if (!n || pos + n != len - 1) goto bad ;
  *usage = u ;
  *limit = l ;
  return 1 ;

 bad:
  errno = EINVAL ;
  return 0 ;
}

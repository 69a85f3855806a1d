/* ISC license. */

#include "common/maildirsize.h"
#include "common/maildirsize-internal.h"

int maildirsize_scan (int mdfd, uint64_t *bytes, uint64_t *count, struct timespec *latest)
{
  uint64_t b = 0, c = 0 ;
  struct timespec t = { .tv_sec = 0, .tv_nsec = 0 } ;
  if (!maildirsize_scan_all(mdfd, 1, &b, &c, &t)) return 0 ;
  *bytes = b ;
  *count = c ;
  *latest = t ;
  return 1 ;
}

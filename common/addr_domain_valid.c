/* ISC license. */

#include <errno.h>

#include "common/addr-internal.h"

int addr_domain_valid (char const *s, size_t len, int utf8)
{
  size_t n = addr_scan_domain(s, len, utf8 ? ADDR_UTF8_OK : 0) ;
  if (!n) return 0 ;
  if (n != len) return (errno = EINVAL, 0) ;
  if (len > ADDR_DOMAIN_MAX) return (errno = ENAMETOOLONG, 0) ;
  return 1 ;
}

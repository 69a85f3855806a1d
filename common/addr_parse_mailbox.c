/* ISC license. */

#include <errno.h>

#include "common/addr-internal.h"

int addr_parse_mailbox (char const *s, size_t len, mailaddr *a, unsigned int flags)
{
  size_t n = addr_scan_mailbox(s, len, a, flags) ;
  if (!n) return 0 ;
  if (n != len) return (errno = EINVAL, 0) ;
  return 1 ;
}

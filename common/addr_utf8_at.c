/* ISC license. */

#include <errno.h>

#include "common/addr-internal.h"

/* Without SMTPUTF8, RFC 5321 allows no octet above 127 anywhere in a
 * path; with it, RFC 6531 section 3.3 allows well-formed UTF-8 only. */

size_t addr_utf8_at (char const *s, size_t len, unsigned int flags)
{
  size_t n ;
  if (!(flags & ADDR_UTF8_OK)) return (errno = EILSEQ, 0) ;
  n = addr_utf8_seq(s, len) ;
  if (!n) errno = EILSEQ ;
  return n ;
}

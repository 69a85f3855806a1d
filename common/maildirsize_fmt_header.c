/* ISC license. */

#include <skalibs/uint64.h>

#include "common/maildirsize.h"

 /* Only a byte limit: posthaste has no message-count quota
    (docker-mailserver's dovecot-quotas.cf sets storage only). */
size_t maildirsize_fmt_header (char *s, uint64_t limit)
{
  size_t n = uint64_fmt(s, limit) ;
  s[n++] = 'S' ;
  s[n++] = '\n' ;
  s[n] = 0 ;
  return n ;
}

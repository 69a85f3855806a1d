/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/uint64.h>

#include "common/rcpt.h"

 /* mailctl writes "quota=<bytes>" only for an account with a quota
    (docker-mailserver's dovecot-quotas.cf, or the default
    POSTFIX_MAILBOX_SIZE_LIMIT), already in bytes: nothing to convert. */
int rcpt_user_quota (char const *v, size_t len, uint64_t *quota)
{
  size_t pos = 0 ;
  int seen = 0 ;
  uint64_t q = 0 ;
  if (len && v[len - 1]) return (errno = EINVAL, 0) ;
  while (pos < len)
  {
    char const *f = v + pos ;
    size_t flen = strlen(f) ;
    if (flen >= 6 && !memcmp(f, "quota=", 6))
    {
      size_t n = flen - 6 ;
      if (seen++ || !n || n > 20 || uint64_scan(f + 6, &q) != n) return (errno = EINVAL, 0) ;
    }
    pos += flen + 1 ;
  }
  *quota = q ;
  return 1 ;
}

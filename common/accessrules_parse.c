/* ISC license. */

#include <string.h>
#include <stdint.h>

#include <skalibs/uint16.h>

#include "common/accessrules.h"

/* The record comes from a file anyone with write access to the cdb
 * directory could have made, so nothing is read before its length is
 * known to be inside len. */

static int env_is_valid (char const *s, size_t len)
{
  size_t i = 0 ;
  if (!len) return 1 ;
  if (s[len - 1]) return 0 ;
  while (i < len)
  {
    size_t n = strlen(s + i) ;
    if (!n || s[i] == '=') return 0 ;
    i += n + 1 ;
  }
  return 1 ;
}

int accessrules_parse (char const *s, size_t len, accessrule *r)
{
  uint16_t envlen, execlen ;
  if (len == 1 && s[0] == 'D') return ACCESSRULES_DENY ;
  if (len < 5 || s[0] != 'A') return ACCESSRULES_BADRECORD ;
  uint16_unpack_big(s + 1, &envlen) ;
  if ((size_t)envlen > len - 5) return ACCESSRULES_BADRECORD ;
  uint16_unpack_big(s + 3 + envlen, &execlen) ;
  if ((size_t)envlen + execlen + 5 != len) return ACCESSRULES_BADRECORD ;
  if (!env_is_valid(s + 3, envlen)) return ACCESSRULES_BADRECORD ;
  if (memchr(s + 5 + envlen, 0, execlen)) return ACCESSRULES_BADRECORD ;
  r->env = s + 3 ;
  r->envlen = envlen ;
  r->exec = s + 5 + envlen ;
  r->execlen = execlen ;
  return ACCESSRULES_ALLOW ;
}

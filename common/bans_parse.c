/* ISC license. */

#include <stdint.h>

#include "common/accessrules.h"

/* Strict: digits only, no sign, no blanks, no overflow; "0" is permanent. */

int bans_parse (char const *s, size_t len, uint64_t *until)
{
  uint64_t v = 0 ;
  if (!len || len > 20) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int d = (unsigned char)s[i] - '0' ;
    if (d > 9) return 0 ;
    if (v > (UINT64_MAX - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  *until = v ;
  return 1 ;
}

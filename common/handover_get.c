/* ISC license. */

#include <string.h>

#include "common/handover.h"

/* The first field named key wins: the pre-auth writes each once. */
char const *handover_get (handover const *h, char const *key)
{
  size_t klen = strlen(key) ;
  size_t pos = 0 ;
  while (pos < h->fieldslen)
  {
    char const *f = h->body.s + pos ;
    size_t flen = strlen(f) ;
    if (flen > klen && f[klen] == '=' && !memcmp(f, key, klen)) return f + klen + 1 ;
    pos += flen + 1 ;
  }
  return 0 ;
}

/* ISC license. */

#include <skalibs/stralloc.h>

#include "smtpc.h"

 /* RFC 4648 section 4, with padding; what RFC 4954 AUTH expects. */

static char const alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

int smtpc_base64 (char const *s, size_t len, stralloc *out)
{
  unsigned char const *u = (unsigned char const *)s ;
  if (!stralloc_readyplus(out, (len + 2) / 3 * 4)) return 0 ;
  while (len >= 3)
  {
    out->s[out->len++] = alphabet[u[0] >> 2] ;
    out->s[out->len++] = alphabet[((u[0] & 3) << 4) | (u[1] >> 4)] ;
    out->s[out->len++] = alphabet[((u[1] & 15) << 2) | (u[2] >> 6)] ;
    out->s[out->len++] = alphabet[u[2] & 63] ;
    u += 3 ; len -= 3 ;
  }
  if (len)
  {
    out->s[out->len++] = alphabet[u[0] >> 2] ;
    out->s[out->len++] = alphabet[((u[0] & 3) << 4) | (len == 2 ? u[1] >> 4 : 0)] ;
    out->s[out->len++] = len == 2 ? alphabet[(u[1] & 15) << 2] : '=' ;
    out->s[out->len++] = '=' ;
  }
  return 1 ;
}

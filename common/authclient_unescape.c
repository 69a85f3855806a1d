/* ISC license. */

#include <errno.h>

#include "common/authclient-internal.h"

int authclient_unescape (char const *s, size_t len, char *out, size_t max, size_t *outlen)
{
  size_t n = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == 1)
    {
      if (++i >= len) return (errno = EPROTO, 0) ;
      switch (s[i])
      {
        case '1' : c = 1 ; break ;
        case 't' : c = '\t' ; break ;
        case 'r' : c = '\r' ; break ;
        case 'n' : c = '\n' ; break ;
        default : return (errno = EPROTO, 0) ;
      }
    }
    if (n < max) out[n] = c ;
    n++ ;
  }
  *outlen = n ;
  return 1 ;
}

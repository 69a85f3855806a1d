/* ISC license. */

#include <string.h>

#include "common/bayes.h"

/* One database per user, named after the address so an admin can find
 * it; any byte that could mean something to a file system (a slash, a
 * leading dot, controls, 8-bit) is %XX. */

size_t bayes_user_file (char *out, size_t max, char const *user)
{
  static char const hex[] = "0123456789ABCDEF" ;
  size_t n = 0 ;
  if (!*user || !max) return 0 ;
  for (size_t i = 0 ; user[i] ; i++)
  {
    unsigned char c = (unsigned char)user[i] ;
    if (c >= 'A' && c <= 'Z') c += 32 ;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' || c == '_' || c == '+' || c == '-' || (c == '.' && i))
    {
      if (n + 1 >= max) return 0 ;
      out[n++] = c ;
    }
    else
    {
      if (n + 3 >= max) return 0 ;
      out[n++] = '%' ;
      out[n++] = hex[c >> 4] ;
      out[n++] = hex[c & 15] ;
    }
  }
  out[n] = 0 ;
  return n ;
}

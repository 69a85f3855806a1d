/* ISC license. */

#include <string.h>

#include "common/filterchain.h"

void filterchain_command (filterchain const *c, unsigned int stage, char *buf)
{
  size_t len = 0 ;
  for (char const *const *w = c->argv[stage] ; *w ; w++)
  {
    size_t n = strlen(*w) ;
    if (len) buf[len++] = ' ' ;
    memcpy(buf + len, *w, n) ;   /* fits: filterchain_parse bounded the total */
    len += n ;
  }
  buf[len] = 0 ;
}

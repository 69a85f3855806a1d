/* ISC license. */

#include "common/addr.h"

/* docs/internals.md: map keys are lower-cased addresses. Only ASCII
 * letters are folded; UTF-8 case folding is locale business and the maps
 * are compiled by the same rule, so both sides agree. */

size_t addr_key (mailaddr const *a, char *buf)
{
  size_t i = 0 ;
  for (; i < a->len ; i++)
  {
    char c = a->s[i] ;
    buf[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c ;
  }
  buf[i] = 0 ;
  return i ;
}

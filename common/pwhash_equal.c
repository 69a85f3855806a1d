/* ISC license. */

#include <stddef.h>

#include "common/pwhash.h"

/* Every byte is visited whatever the differences: the loop has no early
 * exit and the result is folded with OR, so the time depends on n only.
 * The volatile accumulator keeps the compiler from short-circuiting. */
int pwhash_equal (char const *a, char const *b, size_t n)
{
  volatile unsigned char diff = 0 ;
  for (size_t i = 0 ; i < n ; i++)
    diff |= (unsigned char)a[i] ^ (unsigned char)b[i] ;
  return diff == 0 ;
}

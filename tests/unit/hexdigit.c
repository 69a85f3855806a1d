/* ISC license. */

/* common/hexdigit: every byte value once as a digit, the pairs the
 * escapes use, and a pair cut short by the string's end. */

#include <stdlib.h>

#include "common/hexdigit.h"
#include "tests/unit/check.h"

/* The digits written out by hand, independent of the code under test. */
static int oracle (unsigned char c)
{
  static char const lower[] = "0123456789abcdef" ;
  static char const upper[] = "0123456789ABCDEF" ;
  for (int i = 0 ; i < 16 ; i++)
    if (c == (unsigned char)lower[i] || c == (unsigned char)upper[i]) return i ;
  return -1 ;
}

int main (void)
{
  int bad = 0 ;
  for (unsigned int c = 0 ; c < 256 ; c++)
    if (hex_digit((char)c) != oracle((unsigned char)c)) bad++ ;
  CHECK(!bad, "hex_digit: every byte value as the table says") ;
  CHECK(hex_pair("3D") == 0x3d && hex_pair("3d") == 0x3d, "hex_pair: either case") ;
  CHECK(hex_pair("00") == 0 && hex_pair("ff") == 255 && hex_pair("Ff") == 255, "hex_pair: the ends of the range") ;
  CHECK(hex_pair("g0") == -1 && hex_pair("0g") == -1 && hex_pair(" 1") == -1, "hex_pair: a non-digit on either side") ;
  {
     /* "A" then the terminating NUL: the second digit is the NUL, read
        because the first is a digit; a lone NUL stops at once. */
    char *s = malloc(2) ;
    if (!s) return 111 ;
    s[0] = 'A' ; s[1] = 0 ;
    CHECK(hex_pair(s) == -1, "hex_pair: a pair cut by the end of the string") ;
    CHECK(hex_pair(s + 1) == -1, "hex_pair: nothing left") ;
    free(s) ;
  }
  CHECK(hex_pair("7fx") == 0x7f, "hex_pair: reads two digits, no more") ;
  return check_done() ;
}

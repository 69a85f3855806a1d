/* ISC license. */

/* libFuzzer harness for common/idna_domain.c (a recipient domain or a
 * relay name, untrusted bytes from a message's envelope): whatever the
 * input, the function must stay inside its buffers, and a name it
 * accepts must be a DNS name of ASCII bytes, labels of 1 to 63 octets,
 * at most IDNA_NAME_MAX, with every U-label turned into an "xn--"
 * label and every ASCII label left as it was. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/idna.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  char out[IDNA_NAME_MAX + 1] ;
  char small[24] ;
  char const *why = 0 ;
  size_t n = idna_domain_to_ascii(s, size, out, sizeof(out), &why) ;
  if (!n)
  {
    if (!why || !*why) __builtin_trap() ;
  }
  else
  {
    size_t i = 0, j = 0 ;
    if (n > IDNA_NAME_MAX || out[n] || strlen(out) != n) __builtin_trap() ;
    for (;;)
    {
      size_t a = i, b = j ;
      while (i < size && s[i] != '.') i++ ;
      while (j < n && out[j] != '.') j++ ;
      if (j == b || j - b > IDNA_LABEL_MAX) __builtin_trap() ;
      for (size_t k = b ; k < j ; k++) if ((unsigned char)out[k] >= 0x80) __builtin_trap() ;
      if (idna_has_nonascii(s + a, i - a))
      {
        if (j - b < 5 || memcmp(out + b, "xn--", 4)) __builtin_trap() ;
      }
      else if (i - a != j - b || memcmp(s + a, out + b, i - a)) __builtin_trap() ;
      if ((i == size) != (j == n)) __builtin_trap() ;
      if (i == size) break ;
      i++ ; j++ ;
    }
  }
   /* a small buffer: refused or fits, never overflows */
  n = idna_domain_to_ascii(s, size, small, sizeof(small), &why) ;
  if (n && (n >= sizeof(small) || small[n])) __builtin_trap() ;
  return 0 ;
}

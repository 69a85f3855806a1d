/* ISC license. */

#include <string.h>

#include "common/ucspitls-internal.h"

/* The values end up in Received headers and log lines: printable ASCII
 * only, no spaces. */

int ucspitls_copy (char *out, size_t max, char const *value)
{
  size_t n = strlen(value) ;
  size_t i = 0 ;
  if (n > max) return 0 ;
  for (; i < n ; i++)
    if ((unsigned char)value[i] < 0x21 || (unsigned char)value[i] > 0x7e) return 0 ;
  memcpy(out, value, n + 1) ;
  return 1 ;
}

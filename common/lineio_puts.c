/* ISC license. */

#include <string.h>

#include "common/lineio.h"

int lineio_puts (buffer *b, char const *s, tain const *deadline)
{
  return lineio_put(b, s, strlen(s), deadline) ;
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <skalibs/cdbmake.h>

#include "common/cdbwrite.h"

int cdbwrite_add (cdbwrite *w, char const *key, size_t keylen, char const *data, size_t datalen)
{
  /* The cdb format has 32-bit lengths and offsets; cdbmake_add catches
   * the file growing past 4 GiB, we catch a single length that would
   * be truncated on the way in. */
  if (keylen > UINT32_MAX || datalen > UINT32_MAX) return (errno = EOVERFLOW, 0) ;
  return cdbmake_add(&w->maker, key, keylen, data, datalen) ;
}

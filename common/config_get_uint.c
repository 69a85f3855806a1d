/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/uint64.h>

#include "common/config.h"

/* Decimal digits only, the whole value; an overflowing number does not
 * parse (uint640_scan stops before the digit that would overflow). */

int config_get_uint (char const *name, uint64_t def, uint64_t *out)
{
  char const *value = config_get(name) ;
  uint64_t u ;
  if (!value) { *out = def ; return 1 ; }
  if (!uint640_scan(value, &u)) return (errno = EINVAL, 0) ;
  *out = u ;
  return 1 ;
}

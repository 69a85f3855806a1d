/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/uint64.h>

#include "common/config.h"

/* A byte count with an optional k, m or g suffix (either case, powers of
 * 1024, as Postfix-style size settings are usually written). */

int config_get_size (char const *name, uint64_t def, uint64_t *out)
{
  char const *value = config_get(name) ;
  uint64_t u ;
  unsigned int shift = 0 ;
  size_t n ;
  if (!value) { *out = def ; return 1 ; }
  n = uint64_scan(value, &u) ;
  if (!n) goto bad ;
  switch (value[n])
  {
    case 0 : break ;
    case 'k' : case 'K' : shift = 10 ; n++ ; break ;
    case 'm' : case 'M' : shift = 20 ; n++ ; break ;
    case 'g' : case 'G' : shift = 30 ; n++ ; break ;
    default : goto bad ;
  }
  if (value[n]) goto bad ;
  if (shift && u > (UINT64_MAX >> shift)) goto bad ;
  *out = u << shift ;
  return 1 ;
 bad:
  errno = EINVAL ;
  return 0 ;
}

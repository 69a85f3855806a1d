/* ISC license. */

#include <stdint.h>

#include "common/config.h"
#include "smtp_start.h"

unsigned int smtp_start_uint (char const *name, unsigned int def, unsigned int min, unsigned int max)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || u < min || u > max) smtp_start_dieconfig(name) ;
  return (unsigned int)u ;
}

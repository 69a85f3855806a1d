/* ISC license. */

#include <stdint.h>

#include "common/config.h"
#include "smtp_start.h"

uint64_t smtp_start_size (char const *name, uint64_t def)
{
  uint64_t u ;
  if (!config_get_size(name, def, &u)) smtp_start_dieconfig(name) ;
  return u ;
}

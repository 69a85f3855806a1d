/* ISC license. */

#include "common/config.h"

char const *config_get_default (char const *name, char const *def)
{
  char const *value = config_get(name) ;
  return value ? value : def ;
}

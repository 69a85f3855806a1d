/* ISC license. */

#include "common/config.h"
#include "smtp_start.h"

int smtp_start_bool (char const *name, int def)
{
  int b ;
  if (!config_get_bool(name, def, &b)) smtp_start_dieconfig(name) ;
  return b ;
}

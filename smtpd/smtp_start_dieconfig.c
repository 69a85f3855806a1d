/* ISC license. */

#include <skalibs/strerr.h>

#include "smtp_start.h"

void smtp_start_dieconfig (char const *name)
{
  smtp_start_tempfail() ;
  strerr_dief3x(100, "invalid value for ", name, " in the environment or PH_ENVFILE") ;
}

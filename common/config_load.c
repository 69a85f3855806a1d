/* ISC license. */

#include <errno.h>

#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"

void config_load (void)
{
  if (!config_init())
  {
    if (errno == EINVAL)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, config_error_line())] = 0 ;
      strerr_dief(100, "syntax error in $PH_ENVFILE line ", fmt) ;
    }
    strerr_diefusys(111, "read $PH_ENVFILE") ;
  }
}

/* ISC license. */

#include <errno.h>

#include <skalibs/types.h>

#include "common/config.h"
#include "smtp_start.h"

void smtp_start_config (void)
{
  if (!config_init())
  {
    if (errno == EINVAL)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, config_error_line())] = 0 ;
      smtp_start_die("syntax error in PH_ENVFILE at line ", fmt) ;
    }
    smtp_start_diesys("read PH_ENVFILE", "") ;
  }
}

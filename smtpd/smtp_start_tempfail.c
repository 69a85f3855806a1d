/* ISC license. */

#include <skalibs/allreadwrite.h>

#include "smtp_start.h"

void smtp_start_tempfail (void)
{
  static char const msg[] = "421 4.3.5 service temporarily unavailable\r\n" ;
  allwrite(1, msg, sizeof(msg) - 1) ;
}

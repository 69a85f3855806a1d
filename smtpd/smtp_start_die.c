/* ISC license. */

#include <skalibs/strerr.h>

#include "smtp_start.h"

void smtp_start_die (char const *a, char const *b)
{
  smtp_start_tempfail() ;
  strerr_dief2x(100, a, b) ;
}

/* ISC license. */

#include <skalibs/strerr.h>

#include "smtp_start.h"

void smtp_start_diesys (char const *a, char const *b)
{
  smtp_start_tempfail() ;
  strerr_diefu2sys(111, a, b) ;
}

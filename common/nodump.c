/* ISC license. */

#include <sys/prctl.h>

#include <skalibs/strerr.h>

#include "common/nodump.h"

void nodump (void)
{
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    strerr_diefu1sys(111, "prctl PR_SET_DUMPABLE") ;
}

/* ISC license. */

#include <signal.h>

#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/tai.h>

#include "smtp_start.h"

void smtp_start_fds (void)
{
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) smtp_start_diesys("set the client fds non-blocking", "") ;
  if (!sig_ignore(SIGPIPE)) smtp_start_diesys("ignore SIGPIPE", "") ;   /* skalibs 2.13: 1 on success, 0 on failure */
  tain_now_set_stopwatch_g() ;
}

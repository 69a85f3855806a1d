/* ISC license. */

#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* tlsd's engine sends nothing before the 'Y': if the control socket is
 * readable (EOF) or broken, the engine has given up, most likely for
 * want of a certificate, and STARTTLS must not be offered. */

int ucspitls_available (void)
{
  int ctl, rd, wr ;
  iopause_fd x = { .events = IOPAUSE_READ, .revents = 0 } ;
  tain now ;
  if (!ucspitls_fds(&ctl, &rd, &wr)) return 0 ;
  x.fd = ctl ;
  tain_now(&now) ;
  if (iopause_stamp(&x, 1, &now, &now) < 0) return 0 ;
  return !x.revents ;
}

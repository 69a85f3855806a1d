/* ISC license. */

#include <stdlib.h>
#include <fcntl.h>

#include <skalibs/types.h>

#include "common/ucspitls-internal.h"

/* The numbers come from tlsd; they are checked anyway, since acting on
 * a wrong one (0, 1, 2, or an fd the program uses for something else)
 * would send the client's bytes astray. */

static int getfd (char const *name, int *fd)
{
  unsigned int u ;
  char const *x = getenv(name) ;
  if (!x || !uint0_scan(x, &u) || u < 3 || u > 65535) return 0 ;
  if (fcntl((int)u, F_GETFD) < 0) return 0 ;
  *fd = (int)u ;
  return 1 ;
}

int ucspitls_fds (int *ctl, int *rd, int *wr)
{
  if (!getfd("SSLCTLFD", ctl) || !getfd("SSLREADFD", rd) || !getfd("SSLWRITEFD", wr)) return 0 ;
  return *ctl != *rd && *ctl != *wr && *rd != *wr ;
}

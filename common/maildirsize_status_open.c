/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "common/config.h"
#include "common/maildirsize.h"

#define STATE_DEFAULT "/var/mail-state/posthaste"

int maildirsize_status_open (void)
{
  char const *state = config_get_default("PH_STATE", STATE_DEFAULT) ;
  size_t n = strlen(state) ;
  char path[PATH_MAX] ;
  if (n + 7 > sizeof(path)) return (errno = ENAMETOOLONG, -1) ;
  memcpy(path, state, n) ;
  memcpy(path + n, "/quota", 7) ;
  return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
}

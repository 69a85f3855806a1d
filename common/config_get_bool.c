/* ISC license. */

#include <errno.h>
#include <strings.h>

#include "common/config.h"

/* docker-mailserver writes its switches as 0/1; the words are accepted
 * too because people write them. */

int config_get_bool (char const *name, int def, int *out)
{
  static char const *const yes[] = { "1", "yes", "true", "on", 0 } ;
  static char const *const no[] = { "0", "no", "false", "off", 0 } ;
  char const *value = config_get(name) ;
  unsigned int i = 0 ;
  if (!value) { *out = def ; return 1 ; }
  for (i = 0 ; yes[i] ; i++) if (!strcasecmp(value, yes[i])) { *out = 1 ; return 1 ; }
  for (i = 0 ; no[i] ; i++) if (!strcasecmp(value, no[i])) { *out = 0 ; return 1 ; }
  errno = EINVAL ;
  return 0 ;
}

/* ISC license. */

#include <string.h>
#include <strings.h>

#include "common/spf-internal.h"

int spf_name_within (char const *name, char const *target)
{
  size_t n = strlen(name), t = strlen(target) ;
  if (t && target[t - 1] == '.') t-- ;
  if (n && name[n - 1] == '.') n-- ;
  if (n < t) return 0 ;
  if (strncasecmp(name + n - t, target, t)) return 0 ;
  return n == t || name[n - t - 1] == '.' ;
}

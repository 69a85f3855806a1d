/* ISC license. */

#include <string.h>
#include <strings.h>

#include "common/authclient.h"

int authclient_has_mech (authclient const *ac, char const *mech)
{
  size_t n = strlen(mech) ;
  size_t i = 0 ;
  if (!n) return 0 ;
  while (i < ac->mechlen)
  {
    char const *sp = memchr(ac->mechs + i, ' ', ac->mechlen - i) ;
    size_t end = sp ? (size_t)(sp - ac->mechs) : ac->mechlen ;
    if (end - i == n && !strncasecmp(ac->mechs + i, mech, n)) return 1 ;
    i = end + 1 ;
  }
  return 0 ;
}

/* ISC license. */

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/config.h"

/* docker-mailserver takes OVERRIDE_HOSTNAME over the container's host
 * name. The system name is asked for once and kept; if even that fails,
 * "localhost" keeps the banner and Received lines well-formed. */

char const *config_hostname (void)
{
  static stralloc sysname = STRALLOC_ZERO ;
  char const *name = config_get("OVERRIDE_HOSTNAME") ;
  if (name) return name ;
  name = config_get("PH_HOSTNAME") ;
  if (name) return name ;
  if (!sysname.s)
  {
    if (sagethostname(&sysname) >= 0 && sysname.len && stralloc_0(&sysname)) return sysname.s ;
    stralloc_free(&sysname) ;
    return "localhost" ;
  }
  return sysname.s ;
}

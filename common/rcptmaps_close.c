/* ISC license. */

#include <skalibs/stralloc.h>

#include "common/cdbmap.h"
#include "common/rcpt.h"

void rcptmaps_close (rcptmaps *m)
{
  regexpmap_close(&m->regexps) ;
  cdbmap_close(&m->aliases) ;
  cdbmap_close(&m->users) ;
  cdbmap_close(&m->domains) ;
  stralloc_free(&m->paths) ;
}

/* ISC license. */

#include <skalibs/cdb.h>

#include "common/cdbmap.h"

/* Even when the first mapping fails the map is usable: it is empty and
 * the next cdbmap_find() tries again. */

int cdbmap_open (cdbmap *m, char const *path)
{
  m->c = cdb_zero ;
  m->path = path ;
  m->dev = 0 ;
  m->ino = 0 ;
  m->present = 0 ;
  return cdbmap_refresh(m) ;
}

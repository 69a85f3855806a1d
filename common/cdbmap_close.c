/* ISC license. */

#include <skalibs/cdb.h>

#include "common/cdbmap.h"

void cdbmap_close (cdbmap *m)
{
  if (m->present) cdb_free(&m->c) ;
  m->c = cdb_zero ;
  m->present = 0 ;
  m->dev = 0 ;
  m->ino = 0 ;
}

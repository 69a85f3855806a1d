/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/cdb.h>

#include "common/cdbmap.h"

int cdbmap_find (cdbmap *m, char const *key, size_t keylen, cdb_data *data)
{
  int r ;
  if (!cdbmap_refresh(m)) return -1 ;
  if (!m->present || keylen > UINT32_MAX) return 0 ;
  r = cdb_find(&m->c, data, key, keylen) ;
  if (r < 0) errno = EPROTO ;  /* the file is not a well-formed cdb */
  return r ;
}

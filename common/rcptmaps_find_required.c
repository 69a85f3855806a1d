/* ISC license. */

#include <errno.h>

#include <skalibs/cdb.h>

#include "common/cdbmap.h"
#include "common/rcpt.h"

 /* cdbmap treats a missing file as an empty map, which is right for
    aliases.cdb (no aliases) but not for domains.cdb or users.cdb: read
    as empty, every local recipient would be refused for good (relay
    denied, unknown user) or handed to remote delivery while mailctl has
    not written the maps yet or someone removed them. A missing one is a
    lookup error, so smtpd answers 451 and deliverd Z4.3.0. */

int rcptmaps_find_required (cdbmap *m, char const *key, size_t keylen, cdb_data *data)
{
  int r = cdbmap_find(m, key, keylen, data) ;
  if (!r && !m->present) return (errno = ENOENT, -1) ;
  return r ;
}

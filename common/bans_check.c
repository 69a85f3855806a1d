/* ISC license. */

#include <errno.h>
#include <stdint.h>

#include <skalibs/cdb.h>
#include <skalibs/ip46.h>

#include "common/accessrules.h"

/* At most 129 cdb lookups, each a few memory reads in the map: cheap
 * enough to run for every connection. */

int bans_check (cdb const *c, ip46 const *ip, uint64_t now, ban *b)
{
  unsigned int bits = ip46_is6(ip) ? 128 : 32 ;
  for (;;)
  {
    char key[ACCESSRULES_KEY_MAX] ;
    cdb_data data ;
    size_t keylen = accessrules_key(key, ip, bits) ;
    int found = cdb_find(c, &data, key, keylen) ;
    if (found < 0) return (errno = EPROTO, -1) ;
    if (found)
    {
      uint64_t until ;
      if (!bans_parse(data.s, data.len, &until))
      {
        b->bits = bits ;
        b->until = 0 ;
        return BANS_BADRECORD ;
      }
      if (!until || until > now)
      {
        b->bits = bits ;
        b->until = until ;
        return BANS_BANNED ;
      }
    }
    if (!bits) return BANS_NONE ;
    bits-- ;
  }
}

/* ISC license. */

#include <errno.h>

#include <skalibs/cdb.h>
#include <skalibs/ip46.h>

#include "common/accessrules.h"

/* Same walk as s6-accessrules: most specific key first, first hit wins,
 * so a /32 allow can punch a hole in a /24 deny. */

int accessrules_check (cdb const *c, ip46 const *ip, accessrule *r)
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
      r->bits = bits ;
      return accessrules_parse(data.s, data.len, r) ;
    }
    if (!bits) return ACCESSRULES_NOMATCH ;
    bits-- ;
  }
}

/* ISC license. */

#include <skalibs/bytestr.h>
#include <skalibs/cdb.h>

#include "common/rcpt.h"

int rcpt_domain_local (rcptmaps *m, char const *key, size_t keylen)
{
  size_t at = byte_rchr(key, keylen, '@') ;
  char const *domain = key + (at < keylen ? at + 1 : keylen) ;
  cdb_data data ;
  return rcptmaps_find_required(&m->domains, domain, keylen - (domain - key), &data) ;
}

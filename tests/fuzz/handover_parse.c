/* ISC license. */

/* libFuzzer harness for the session side of common/handover: the body
 * a pre-auth program (a peer in PH_SESSION_UIDS, semi-trusted) hands
 * over. Checks, beyond "no crash": an accepted body starts with a
 * service= field, its fields end exactly at the end mark, at most
 * HANDOVER_PENDING_MAX bytes follow, and handover_get only returns
 * values inside the fields. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/handover.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  handover h = HANDOVER_ZERO ;
  size_t fl ;
  char const *keys[] = { "service", "ticket", "user", "tag", "rip", "tls", "session", "x" } ;
  if (!handover_parse((char const *)data, size, &fl)) return 0 ;
  if (fl >= size || data[fl] || size - fl - 1 > HANDOVER_PENDING_MAX) abort() ;
  if (fl < 9 || memcmp(data, "service=", 8)) abort() ;
  if (!stralloc_catb(&h.body, (char const *)data, size)) return 0 ;
  h.fieldslen = fl ;
  for (unsigned int i = 0 ; i < sizeof(keys) / sizeof(keys[0]) ; i++)
  {
    char const *v = handover_get(&h, keys[i]) ;
    if (v && (v < h.body.s || v + strlen(v) > h.body.s + fl)) abort() ;
  }
  if (!handover_get(&h, "service")) abort() ;
  stralloc_free(&h.body) ;
  return 0 ;
}

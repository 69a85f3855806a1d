/* ISC license. */

#include <stdint.h>
#include <stdlib.h>

#include <skalibs/uint64.h>

#include "common/log.h"
#include "common/uidlist.h"
#include "delivconn.h"

int delivconn_peer (char const *list)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid ;
  if (peer && *peer && uint640_scan(peer, &uid) && (!uid || uidlist_match(list, uid) == 1)) return 1 ;
  log_event2("refused", "euid", peer ? peer : "unknown", "reason", "peer uid not allowed") ;
  return 0 ;
}

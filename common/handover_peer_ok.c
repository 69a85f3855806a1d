/* ISC license. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/uint64.h>

#include "common/handover.h"
#include "common/uidlist.h"

int handover_peer_ok (char const *list)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid = 0 ;
  int numeric = peer && *peer && uint640_scan(peer, &uid) == strlen(peer) ;
  /* checked whole whoever the peer is (uid 0 stands in for none) */
  int found = uidlist_match(list, uid) ;
  if (found < 0) return -1 ;
  if (!numeric) return 0 ;
  return !uid || found ;
}

/* ISC license. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/uint64.h>

#include "common/handover.h"

int handover_peer_ok (char const *list)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid ;
  int found = 0 ;
  /* the list is checked whole, so a typo is found at the first connection
   * rather than only when the wrong peer comes */
  if (list)
    while (*list)
    {
      uint64_t u ;
      size_t n = uint64_scan(list, &u) ;
      if (!n) return -1 ;
      if (peer && uint640_scan(peer, &uid) == strlen(peer) && u == uid) found = 1 ;
      list += n ;
      if (*list == ',') { list++ ; if (!*list) return -1 ; }
      else if (*list) return -1 ;
    }
  if (!peer || !*peer || uint640_scan(peer, &uid) != strlen(peer)) return 0 ;
  return !uid || found ;
}

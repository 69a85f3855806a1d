/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/types.h>

#include "common/config.h"
#include "common/uidlist.h"
#include "learn.h"

/* Who may teach the classifier: root (mailctl) and the uids listed in
 * PH_LEARN_UIDS (imap-session's vmail), by the kernel's word
 * (SO_PEERCRED, which s6-ipcserver puts in IPCREMOTEEUID). Anyone else
 * could poison every user's filter. */

int learn_peer_allowed (char const **uidtext)
{
  char const *v = getenv("IPCREMOTEEUID") ;
  char const *list = config_get("PH_LEARN_UIDS") ;
  uint64_t uid ;
  *uidtext = v ? v : "" ;
  if (!v || !*v || uint640_scan(v, &uid) != strlen(v)) return 0 ;
  if (!uid) return 1 ;
  return uidlist_match(list, uid) == 1 ;   /* a list that does not parse lets no one in */
}

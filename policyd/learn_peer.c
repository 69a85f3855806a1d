/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/types.h>

#include "common/config.h"
#include "learn.h"

/* Who may teach the classifier: root (mailctl) and the uids listed in
 * PH_LEARN_UIDS (imap-session's vmail), by the kernel's word
 * (SO_PEERCRED, which s6-ipcserver puts in IPCREMOTEEUID). Anyone else
 * could poison every user's filter. */

int learn_peer_allowed (char const **uidtext)
{
  char const *v = getenv("IPCREMOTEEUID") ;
  char const *list = config_get("PH_LEARN_UIDS") ;
  uid_t uid ;
  *uidtext = v ? v : "" ;
  if (!v || !*v || uid0_scan(v, &uid) != strlen(v)) return 0 ;
  if (!uid) return 1 ;
  while (list && *list)
  {
    uid_t u ;
    size_t n = uid_scan(list, &u) ;
    if (!n) return 0 ;
    if (u == uid) return 1 ;
    list += n ;
    if (*list == ',') list++ ;
    else if (*list) return 0 ;
  }
  return 0 ;
}

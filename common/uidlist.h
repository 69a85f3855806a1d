/* ISC license. */

#ifndef POSTHASTE_UIDLIST_H
#define POSTHASTE_UIDLIST_H

/* The peer-uid lists of the settings (PH_INJECT_UIDS, PH_DELIVER_UIDS,
 * PH_REMOTE_UIDS, PH_LMTP_UIDS, PH_SESSION_UIDS, PH_LEARN_UIDS): decimal
 * uids separated by commas or spaces. Each program compares them with
 * its peer's uid as the kernel gave it (SO_PEERCRED: IPCREMOTEEUID). */

#include <stdint.h>

/* Is uid in list? 1 yes, 0 no (or list is 0 or empty), -1 the list
 * does not parse. The whole list is checked whoever asks, so a typo is
 * found at the first connection rather than only when the wrong peer
 * comes. */
extern int uidlist_match (char const *list, uint64_t uid) ;

#endif

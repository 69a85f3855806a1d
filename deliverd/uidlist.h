/* ISC license. */

#ifndef POSTHASTE_DELIVERD_UIDLIST_H
#define POSTHASTE_DELIVERD_UIDLIST_H

/* The peer-uid lists of the settings (PH_DELIVER_UIDS, PH_REMOTE_UIDS,
 * PH_LMTP_UIDS): numbers separated by commas or spaces. */

#include <stdint.h>

/* Is uid in list? 1 yes, 0 no (or list is 0), -1 the list is malformed
 * before uid was found. */
extern int uidlist_match (char const *list, uint64_t uid) ;

#endif

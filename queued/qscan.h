/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSCAN_H
#define POSTHASTE_QUEUED_QSCAN_H

#include <stddef.h>

/* Directory scans: incoming/ on every trigger (new messages), queue/ at
 * start and at every backstop rescan (messages not in memory: after a
 * restart, after the in-memory limit, after an error). */

/* Each returns 1 if it stopped at PH_QUEUE_ACTIVE_LIMIT with entries
 * left unread (the caller scans again when there is room), else 0. */
extern int qscan_incoming (void) ;

/* incoming/<s[0..len)>, which the trigger named, without reading the
 * directory: taken, logged, and handed to its delivery agent at once
 * unless something holds it back (qdispatch_one: a hold, a filter run
 * to come, busy connections). Nothing happens for a name that is no
 * queue id or no longer there, or at the in-memory limit, and a system
 * error is not logged: the caller scans incoming/ after all the same. */
extern void qscan_incoming_named (char const *s, size_t len) ;
extern int qscan_queue (void) ;

#endif

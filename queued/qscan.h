/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSCAN_H
#define POSTHASTE_QUEUED_QSCAN_H

/* Directory scans: incoming/ on every trigger (new messages), queue/ at
 * start and at every backstop rescan (messages not in memory: after a
 * restart, after the in-memory limit, after an error). */

/* Each returns 1 if it stopped at PH_QUEUE_ACTIVE_LIMIT with entries
 * left unread (the caller scans again when there is room), else 0. */
extern int qscan_incoming (void) ;
extern int qscan_queue (void) ;

#endif

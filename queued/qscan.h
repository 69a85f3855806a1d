/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSCAN_H
#define POSTHASTE_QUEUED_QSCAN_H

/* Directory scans: incoming/ on every trigger (new messages), queue/ at
 * start and at every backstop rescan (messages not in memory: after a
 * restart, after the in-memory limit, after an error). */

extern void qscan_incoming (void) ;
extern void qscan_queue (void) ;

#endif

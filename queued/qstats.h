/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSTATS_H
#define POSTHASTE_QUEUED_QSTATS_H

/* The queue's size for readers that may not use the control socket
 * (webd -m runs as phweb; docs/queue.md, "Queue counts"):
 * $PH_STATE/queue-stats/counts, mode 0644, lines "<state> <count>" for
 * active, deferred, held, waiting and total, rewritten by rename when
 * the counts change, at most once a second. Not fsynced: a hint. */

#include <skalibs/tai.h>

/* Called once per turn of queued's loop: counts the messages when a
 * second has passed since the last count, rewrites the file when they
 * changed, and lowers *deadline so that a turn skipped by the one-second
 * limit is made up. Failures are logged once and never stop queued. */
extern void qstats_tick (tain const *now, tain *deadline) ;

#endif

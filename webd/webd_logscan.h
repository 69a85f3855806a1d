/* ISC license. */

#ifndef POSTHASTE_WEBD_LOGSCAN_H
#define POSTHASTE_WEBD_LOGSCAN_H

/* The metrics face's counters, read from the services' s6-log files
 * ($PH_LOG_DIR, else $PH_STATE/log: <service>/current and the rotated
 * @<stamp>.s files) by an incremental reader: the offset reached in
 * each service's file (with its device and inode, to follow s6-log's
 * rotations) and the counts are kept in $PH_METRICS_DIR/state (default
 * $PH_STATE/metrics), under a lock, so each scrape reads only what was
 * logged since the last one. webd -m -z, run by the metrics service at
 * its start, resets the counts and sets every offset to the current
 * end: the counters count from the service's start. */

#include <stdint.h>

enum webd_counter_e
{
  WC_RECEIVED = 0,   /* queued-inject: event=injected (every message taken into the queue) */
  WC_DELIVERED,      /* queued: event=delivered (per recipient, local or remote) */
  WC_DEFERRED,       /* queued: event=deferred (per recipient and attempt) */
  WC_BOUNCED,        /* queued: event=failed (per recipient: permanent failure, bounced) */
  WC_AUTHFAIL,       /* authd: event=auth_fail */
  WC_N
} ;

extern char const *const webd_counter_names[WC_N] ;

typedef struct webd_counts_s webd_counts, *webd_counts_ref ;
struct webd_counts_s
{
  uint64_t count[WC_N] ;
  uint64_t since ;   /* Unix time of the zero */
} ;

/* Brings the counts up to date. 1, or 0 with errno (the state cannot be
 * read or written). */
extern int webd_logscan (webd_counts *) ;
/* The zero; dies 111 on failure. */
extern void webd_logscan_zero (void) ;

#endif

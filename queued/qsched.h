/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSCHED_H
#define POSTHASTE_QUEUED_QSCHED_H

/* The messages queued holds in memory and what happens to their
 * recipients: which one is due next, and the durable state changes for
 * deliverd's answers (docs/queue.md, "Recipient states"). */

#include <stddef.h>
#include <skalibs/tai.h>

#include "queued/qmsg.h"
#include "queued/qreply.h"

extern size_t qsched_count (void) ;

/* Takes ownership of m (loaded from queue/<qid>). 1, or 0 on ENOMEM. */
extern int qsched_add (qmsg *m) ;

/* Membership for directory scans: build the index once per scan, then
 * ask. Messages added after the build are not in it. */
extern int qsched_index_build (void) ;
extern int qsched_index_has (char const *qid) ;

/* The next recipient due at now, taking messages in turn; 0 if none. */
extern qmsg *qsched_next_due (tain const *now, size_t *rcpt) ;
/* Lowers *deadline to the earliest due time of a dispatchable recipient. */
extern void qsched_earliest (tain *deadline) ;

extern void qsched_dispatched (qmsg *, size_t rcpt) ;

/* deliverd answered (rep) or the attempt failed (qsched_defer: Z, lost
 * connection, timeout; text starts with an enhanced status code). These
 * may remove m: do not use it afterwards. */
extern void qsched_result (qmsg *m, size_t rcpt, qreply const *rep) ;
extern void qsched_defer (qmsg *m, size_t rcpt, char const *text) ;

/* Fails recipient i (due, not in flight) of an expired message. */
extern void qsched_fail_expired (qmsg *m, size_t rcpt) ;

/* Fails every waiting recipient whose message outlived the lifetime. */
extern void qsched_expire (tain const *now) ;

/* Settles a message loaded with nothing left to do (removes it). */
extern void qsched_check (qmsg *m) ;

#endif

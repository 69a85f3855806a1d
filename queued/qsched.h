/* ISC license. */

#ifndef POSTHASTE_QUEUED_QSCHED_H
#define POSTHASTE_QUEUED_QSCHED_H

/* The messages queued holds in memory and what happens to their
 * recipients: the durable state changes for the delivery agents'
 * answers, expiry, delay notices, hold and delete (docs/queue.md,
 * "Recipient states"). Choosing what to send is qdispatch's job. */

#include <stddef.h>
#include <skalibs/tai.h>

#include "queued/qmsg.h"
#include "queued/qreply.h"

extern size_t qsched_count (void) ;
extern qmsg *qsched_at (size_t j) ;
/* The message with this id in memory, or 0. */
extern qmsg *qsched_find (char const *qid) ;

/* Takes ownership of m (loaded from queue/<qid>). 1, or 0 on ENOMEM. */
extern int qsched_add (qmsg *m) ;

/* Membership for directory scans: build the index once per scan, then
 * ask. Messages added after the build are not in it. */
extern int qsched_index_build (void) ;
extern int qsched_index_has (char const *qid) ;

extern void qsched_dispatched (qmsg *, size_t rcpt) ;

/* A delivery agent answered the request for rcpts[0..n) with the
 * verdicts v[0..n) (qsched_reply), or the attempt failed (qsched_defer:
 * lost connection, timeout, no transport; text starts with an enhanced
 * status code). These may remove m: do not use it afterwards. */
extern void qsched_reply (qmsg *m, size_t const *rcpts, unsigned int n, qverdict const *v) ;
extern void qsched_defer (qmsg *m, size_t rcpt, char const *text) ;

/* Fails every waiting recipient whose message outlived the lifetime
 * (one notification per message). */
extern void qsched_expire (tain const *now) ;

/* Sends the delay notices that are due (PH_DELAY_WARNING_TIME) and
 * lowers *wake to the next one. */
extern void qsched_warn (tain const *now, tain *wake) ;

/* Settles a message with nothing left to do (removes it), or unloads a
 * broken one. */
extern void qsched_check (qmsg *m) ;

/* The filters said discard: the message goes, no notification. */
extern void qsched_discard (qmsg *m, char const *why) ;

/* Administration (mailctl queue, through queued's control socket). Each
 * returns 1, or 0 with *why saying why not. */
extern int qsched_hold (qmsg *m, int hold, char const **why) ;
/* A message whose envelope asks for a hold (X HOLD=, smtpd's policy
 * HOLD) and whose journal has no H record yet: held now, durably. */
extern void qsched_hold_arrival (qmsg *m) ;
extern int qsched_delete (qmsg *m, char const **why) ;
/* Every pending recipient (and a deferred filter run) of m is due now. */
extern void qsched_retry_now (qmsg *m) ;

#endif

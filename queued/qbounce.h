/* ISC license. */

#ifndef POSTHASTE_QUEUED_QBOUNCE_H
#define POSTHASTE_QUEUED_QBOUNCE_H

/* Delivery status notifications (RFC 3464, RFC 3461): a multipart/report
 * with a human-readable part, a message/delivery-status part and the
 * returned message (message/rfc822) or its header (text/rfc822-headers),
 * written straight into the queue as a new message from the null sender,
 * with queued-inject's commit protocol (queued/inject_store.c). The
 * caller queues the notification BEFORE it records the recipients'
 * verdict, so a crash in between sends it twice, never zero times. */

#include <stddef.h>

#include "queued/qmsg.h"

#define QBOUNCE_FAILED 0
#define QBOUNCE_DELAYED 1
#define QBOUNCE_DELIVERED 2
#define QBOUNCE_RELAYED 3   /* the next hop took it and offers no DSN (XACTION=relayed) */

typedef struct qbitem_s qbitem, *qbitem_ref ;
struct qbitem_s
{
  size_t i ;               /* the recipient */
  char const *text ;       /* the verdict, starting with an enhanced code */
  char const *remotemta ;  /* from the delivery agent, or 0 */
  char const *diag ;       /* the remote server's reply, or 0 */
  char const *last ;       /* expiry: the last temporary failure, or 0 */
} ;

/* Who gets the notification about m: the sender; for a message from the
 * null sender, the postmaster (a double bounce; failures only), unless m
 * is itself a double bounce. Returns the address, or 0 for nobody, and
 * sets *kind (QDSN_BOUNCE or QDSN_DOUBLE) and *why (for the log). */
extern char const *qbounce_target (qmsg const *m, int action, unsigned char *kind, char const **why) ;

/* Does recipient i's NOTIFY ask for this action (RFC 3461 4.1)? Without
 * NOTIFY: failures yes, delays yes (when delay notices are enabled at
 * all), successes no. */
extern int qbounce_wanted (qmsg const *m, size_t i, int action) ;

/* Builds and commits the notification about items[0..n) of m. Returns 1
 * and writes the new message's id into newqid (QID_MAX + 1 bytes); 0
 * with errno (nothing left behind). Wakes queued's own trigger. */
extern int qbounce_queue (qmsg const *m, int action, qbitem const *items, unsigned int n, char const *to, unsigned char kind, char *newqid) ;

#endif

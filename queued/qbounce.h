/* ISC license. */

#ifndef POSTHASTE_QUEUED_QBOUNCE_H
#define POSTHASTE_QUEUED_QBOUNCE_H

/* The bounce hook. queued calls qbounce_rcpt once a permanent failure of
 * recipient i is durably recorded (a D record in the state journal, with
 * the reason). Today it only logs event=bounce.
 *
 * The RFC 3464 delivery status notification goes here: build the DSN
 * from the envelope (env keeps ENVID/RET/NOTIFY/ORCPT as M and N records)
 * and the D records of the state journal, and queue it as a new message
 * with the null sender BEFORE the original message may be removed. No
 * DSN to a null sender (RFC 5321 4.5.5), none for NOTIFY=NEVER. */

#include "queued/qmsg.h"

extern void qbounce_rcpt (qmsg const *m, unsigned int i, char const *reason) ;

#endif

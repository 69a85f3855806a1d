/* ISC license. */

#ifndef POSTHASTE_QUEUED_QDISPATCH_H
#define POSTHASTE_QUEUED_QDISPATCH_H

/* Choosing what to send: one pass over the messages in memory, taken in
 * turn, hands each due recipient to its delivery agent (local or remote,
 * several recipients of one domain together) while the pools and the
 * per-domain limits allow, defers what cannot be routed or reached, and
 * finds the next instant something becomes due. Recipients that wait
 * for a busy pool do not count: a reply wakes queued, so nothing spins. */

#include <skalibs/tai.h>

#include "queued/qmsg.h"

/* 1, or 0 with errno. */
extern int qdispatch_init (unsigned int rcptmax) ;

/* Dispatches what is due at STAMP; lowers *wake. */
extern void qdispatch (tain *wake) ;

/* The same for the one message m, out of turn: a message just taken
 * from incoming/ goes to its delivery agent while the directory has not
 * even been read for others. */
extern void qdispatch_one (qmsg *m) ;

#endif

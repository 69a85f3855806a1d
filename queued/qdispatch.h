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

/* 1, or 0 with errno. */
extern int qdispatch_init (unsigned int rcptmax) ;

/* Dispatches what is due at STAMP; lowers *wake. */
extern void qdispatch (tain *wake) ;

#endif

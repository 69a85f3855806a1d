/* ISC license. */

#ifndef POSTHASTE_QUEUED_QREQ_H
#define POSTHASTE_QUEUED_QREQ_H

/* The body of a delivery request (docs/internals.md, "Delivery" and
 * "Routing and remote.sock"): I, F, then each recipient's T with, for
 * remote.sock, its XNOTIFY/XORCPT, then the message's X fields. */

#include <stddef.h>
#include <skalibs/stralloc.h>

#include "queued/qmsg.h"

/* Replaces *sa with the request for rcpts[0..n) of m, for deliverd.sock
 * (local) or remote.sock. 1, or 0 on ENOMEM. */
extern int qreq_build (stralloc *sa, qmsg const *m, size_t const *rcpts, unsigned int n, int local) ;

/* Appends s[0..len) as RFC 3461 xtext. 0 on ENOMEM. */
extern int qreq_xtext (stralloc *sa, char const *s, size_t len) ;

#endif

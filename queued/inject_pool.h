/* ISC license. */

#ifndef POSTHASTE_QUEUED_INJECT_POOL_H
#define POSTHASTE_QUEUED_INJECT_POOL_H

/* The resident injector (queued-inject -L), in the manner of Postfix's
 * master and its pre-forked cleanup processes: a parent that holds the
 * listening socket and keeps a fixed number of workers; each worker
 * accepts connections one at a time, checks the peer with SO_PEERCRED
 * and serves it with inject_conn.c, then accepts the next, until it has
 * served maxuse connections and exits to be replaced. No exec and no
 * fork per injection. */

#include <skalibs/gccattributes.h>

/* lfd: the listening Unix socket. notif: a fd to write a newline to
 * once the workers run (s6 readiness), or -1. Returns only to exit. */
extern int injpool_run (int lfd, unsigned int workers, unsigned int maxuse, int notif) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QCTL_H
#define POSTHASTE_QUEUED_QCTL_H

/* queued's control socket, $PH_QUEUE_DIR/control (docs/queue.md,
 * "Control"): mailctl queue (root) asks, queued answers, so the admin
 * never writes the queue behind queued's back. One command line per
 * connection:
 *   list | show ID | flush | retry ID | delete ID | hold ID | release ID
 * answered by tab-separated data lines, then "ok\t<text>" or
 * "error\t<text>", then the connection closes. Only root and queued's
 * own uid may connect (SO_PEERCRED), and the socket lives in the queue
 * directory (mode 0700) anyway. */

#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#define QCTL_CLIENTS_MAX 8
#define QCTL_LINE_MAX 256
#define QCTL_TIMEOUT 30

/* Set by queued: messages wait on disk beyond the in-memory limit. */
extern int qctl_backlog ;

/* Binds and listens on "control" (the current directory is the queue). */
extern int qctl_open (void) ;
extern unsigned int qctl_pollfds (iopause_fd *x) ;
extern void qctl_events (iopause_fd const *x, unsigned int n) ;
extern void qctl_deadline (tain *deadline) ;
extern void qctl_timeouts (tain const *now) ;
#define QCTL_MAXFDS (1 + QCTL_CLIENTS_MAX)

#endif

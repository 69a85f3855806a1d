/* ISC license. */

#ifndef POSTHASTE_QUEUED_QFILTER_H
#define POSTHASTE_QUEUED_QFILTER_H

/* The filter chains (docs/filters.md): PH_FILTERS_INBOUND and
 * PH_FILTERS_OUTBOUND, each a ';'-separated list of commands (words
 * separated by spaces, no quoting, an absolute program path first). A new
 * message goes through its chain, one program after the other, before
 * any delivery; each program reads the message on stdin and answers
 * header fields to prepend and a verdict on stdout (queued/qfreply.h).
 * The programs run as phfilter, started by filterrun (one per program,
 * on $PH_RUN_DIR/filter.sock, common/filterreq.h) with the pipes queued
 * makes; queued drives them from its iopause loop (non-blocking pipes,
 * the connection for the exit status, a deadline each); nothing here
 * waits but the sending of the request, bounded. */

#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/filterchain.h"
#include "queued/qmsg.h"

#define QFILTER_CHAIN_MAX FILTERCHAIN_MAX
#define QFILTER_ARGS_MAX FILTERCHAIN_ARGS_MAX

/* Parses both chains. 1, or 0 with *why (a usage error: exit 100). */
extern int qfilter_config (char const *inbound, char const *outbound, char const **why) ;
/* Allocates the job table. 1, or 0 with errno. */
extern int qfilter_init (unsigned int max) ;

/* Sets m->fstate for a freshly loaded message: a chain applies
 * (PENDING, due at once) or not (NONE); a recorded verdict stays DONE. */
extern void qfilter_classify (qmsg *m) ;

/* Starts filter runs for the messages that are due, as slots allow,
 * and lowers *wake to the next one due. */
extern void qfilter_start_due (tain const *now, tain *wake) ;

/* iopause: qfilter_pollfds appends the running jobs' pipes and
 * connections to x (at most 3 per job) and returns how many; qfilter_events handles their revents
 * (x being the same slice). qfilter_deadline lowers *deadline to the
 * earliest job deadline; qfilter_timeouts kills the late ones. */
extern unsigned int qfilter_pollfds (iopause_fd *x) ;
extern void qfilter_events (iopause_fd const *x, unsigned int n) ;
extern void qfilter_deadline (tain *deadline) ;
extern void qfilter_timeouts (tain const *now) ;
extern unsigned int qfilter_maxfds (void) ;

/* Shutdown: closes every connection to filterrun, which kills its
 * program (their messages are filtered again after the restart). */
extern void qfilter_stop (void) ;

#endif

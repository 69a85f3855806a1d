/* ISC license. */

#ifndef POSTHASTE_QUEUED_QCONN_H
#define POSTHASTE_QUEUED_QCONN_H

/* queued's connections to a delivery agent (docs/internals.md,
 * "Delivery"): skalibs unixmessage framing, the message file passed as
 * an fd, one request (one or more recipients) in flight per connection.
 * Everything is non-blocking; queued's iopause loop drives the sending
 * and the receiving. */

#include <stddef.h>
#include <skalibs/tai.h>
#include <skalibs/unixconnection.h>

#include "queued/qmsg.h"

typedef struct qconn_s qconn, *qconn_ref ;
struct qconn_s
{
  unixconnection io ;   /* holds pointers to itself: never moved */
  int fd ;              /* -1: not connected */
  qmsg *m ;             /* the request in flight, or 0 when idle */
  size_t *rcpts ;       /* its recipients, in request order */
  unsigned int nrcpt ;
  int dslot ;           /* remote: the domain's slot (qdomain), or -1 */
  tain deadline ;       /* busy: the request times out; idle: we hang up */
} ;

/* Connects c to path. 1, or 0 with errno. */
extern int qconn_open (qconn *c, char const *path) ;
extern void qconn_close (qconn *c) ;

/* Queues the request for recipients rcpts[0..n) of m (whose message
 * file is messfd, handed over: closed by the connection) and starts
 * sending. c->rcpts must have room for n. 1, or 0 with errno: the
 * connection is then unusable (but owns the request: c->m is set). */
extern int qconn_send (qconn *c, qmsg *m, size_t const *rcpts, unsigned int n, int local, int messfd) ;

/* Sends what is pending. 1 done or would block, 0 with errno on error. */
extern int qconn_flush (qconn *c) ;
#define qconn_wantwrite(c) (!unixmessage_sender_isempty(&(c)->io.out))

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QPOOL_H
#define POSTHASTE_QUEUED_QPOOL_H

/* A pool of connections to one delivery agent's socket (deliverd.sock or
 * remote.sock), with its reconnection backoff, and the count of remote
 * requests in flight per destination domain (docs/internals.md, "Routing
 * and remote.sock"). */

#include <skalibs/tai.h>

#include "queued/qconn.h"

/* Reconnection: 1 s, doubling, at most 30 s, so an agent that comes back
 * is used within 30 s and one that is down costs a connect attempt every
 * 30 s, never a busy loop. */
#define QPOOL_BACKOFF_MIN 1
#define QPOOL_BACKOFF_MAX 30
/* An idle connection is closed after this: the agent is one process per
 * connection, and an idle one only holds memory. */
#define QPOOL_IDLE_CLOSE 30

typedef struct qpool_s qpool, *qpool_ref ;
struct qpool_s
{
  char const *event ;     /* logged when the agent cannot be reached */
  char const *path ;
  qconn *conns ;
  unsigned int n ;
  unsigned int rcptmax ;  /* recipients per request */
  int local ;             /* deliverd.sock: one recipient, XFOLDER */
  unsigned int backoff ;
  tain next_connect ;
} ;

#define QPOOL_LOCAL 0
#define QPOOL_REMOTE 1
extern qpool pools[2] ;

/* 1, or 0 with errno (ENOMEM). */
extern int qpool_init (qpool *p, char const *event, char const *path, unsigned int n, unsigned int rcptmax, int local) ;

/* An idle connection, or a new one; 0 if every connection is busy or the
 * agent cannot be reached now (qpool_down then says so). */
extern qconn *qpool_get (qpool *p) ;
#define qpool_down(p) tain_less(&STAMP, &(p)->next_connect)
extern unsigned int qpool_busy (qpool const *p) ;

/* The connection is unusable: close it; the recipients in flight are
 * deferred with text (the agent may or may not have delivered them: at
 * least once). */
extern void qpool_lost (qpool *p, qconn *c, char const *text) ;

/* Reads and applies the replies waiting on c. */
extern void qpool_read (qpool *p, qconn *c) ;

/* flush: try to connect at once. */
extern void qpool_reset_backoff (qpool *p) ;

/* Per-domain accounting of remote requests in flight. */
extern int qdomain_init (unsigned int max) ;
extern unsigned int qdomain_count (char const *dom) ;
/* Counts one more request for dom; returns its slot, or -1 (no room:
 * cannot happen with max = the remote pool's size). */
extern int qdomain_acquire (char const *dom) ;
extern void qdomain_release (int slot) ;

#endif

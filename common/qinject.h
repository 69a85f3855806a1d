/* ISC license. */

#ifndef POSTHASTE_QINJECT_H
#define POSTHASTE_QINJECT_H

/* The client side of queued's injection socket (docs/internals.md,
 * Injection). Used by smtpd, submitd and sendmail. Every call takes a
 * deadline; the socket is non-blocking. */

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#define QINJECT_BUFSIZE 65536

typedef struct qinject_s qinject, *qinject_ref ;
struct qinject_s
{
  int fd ;
  int inmessage ;    /* envelope ended, message being sent */
  buffer out ;
  char buf[QINJECT_BUFSIZE] ;
} ;

/* Connects to path. Returns 1, or 0 with errno. */
extern int qinject_connect (qinject *, char const *path, tain const *deadline) ;

/* Adds one envelope field (tag and value, see docs/internals.md).
 * Returns 1, or 0 with errno. */
extern int qinject_field (qinject *, char tag, char const *s, size_t len, tain const *deadline) ;

/* Ends the envelope (first call) and sends message bytes. */
extern int qinject_data (qinject *, char const *s, size_t len, tain const *deadline) ;

/* Writes out everything buffered, before the deadline; with endenvelope
 * it first ends the envelope (as qinject_data would), so that queued has
 * the whole envelope and can refuse it at once. Call it before telling
 * the client to go ahead (354) and after each block of message passed
 * on, so queued sees the message as fast as it comes. Returns 1, or 0
 * with errno (EPIPE: the server closed; see qinject_early for why). */
extern int qinject_flush (qinject *, int endenvelope, tain const *deadline) ;

/* Ends the message and reads the answer line into reply (NUL-terminated,
 * without the LF, at most max bytes). Returns the answer's first byte:
 * 'K' (committed; reply+1 is the queue id), 'Z' temporary, 'D' permanent;
 * or 0 with errno if the transaction failed locally (treat as temporary).
 * The connection stays usable for another message after K, Z or D unless
 * the server closed it. */
extern char qinject_finish (qinject *, char *reply, size_t max, tain const *deadline) ;

/* If the server answered early (Z/D while the client was still sending),
 * fills reply like qinject_finish and returns that letter; else 0. */
extern char qinject_early (qinject *, char *reply, size_t max) ;

extern void qinject_close (qinject *) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_INJECT_STORE_H
#define POSTHASTE_QUEUED_INJECT_STORE_H

/* queued-inject's side of the queue (docs/queue.md): builds one message
 * in tmp/<pid>/ (files mess and env), then commits it with one rename
 * into incoming/<qid>. The current directory must be $PH_QUEUE_DIR.
 * Every function returns 1, or 0 with errno; after a 0, call
 * injstore_abort, which removes everything this message left.
 *
 * tmp/<pid>/ with its two empty files may be made ahead of the message
 * (injstore_prepare), so that the fsync making their names durable is
 * not between the end of the data and the answer: a resident injector
 * prepares when a connection comes, before the client's data. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/types.h>

#include "queued/qid.h"

#define INJSTORE_ENVBUFSIZE 8192
#define INJSTORE_MESSBUFSIZE 65536

typedef struct injstore_s injstore, *injstore_ref ;
struct injstore_s
{
  int active ;           /* tmp/<pid> exists and is ours */
  int ready ;            /* prepared: the names are durable, no message yet */
  int inmsg ;            /* a message has begun and is not committed */
  uint64_t prepared ;    /* when (CLOCK_MONOTONIC seconds) */
  int dirfd ;
  int envfd ;
  int messfd ;
  uint64_t size ;
  unsigned int nrcpt ;
  char qid[QID_MAX + 1] ;
  char tmpdir[5 + PID_FMT] ;
  buffer envb ;
  buffer messb ;
  char envbuf[INJSTORE_ENVBUFSIZE] ;
  char messbuf[INJSTORE_MESSBUFSIZE] ;
} ;

extern void injstore_init (injstore *) ;

/* Creates tmp/<pid>/ with empty mess and env, and fsyncs the directory.
 * Does nothing if that is already done and unused. */
extern int injstore_prepare (injstore *) ;
/* Prepares unless done (again if the preparation is over an hour old or
 * was removed), names the message and starts its envelope file. */
extern int injstore_begin (injstore *) ;
extern int injstore_field (injstore *, char tag, char const *s, size_t len) ;
/* The envelope is complete: opens the message file. */
extern int injstore_envend (injstore *) ;
extern int injstore_data (injstore *, char const *s, size_t len) ;
/* Ends both files, fsyncs them, renames tmp/<pid> to incoming/<qid>
 * (the commit point), wakes queued and fsyncs incoming/. On success the
 * message is durably queued and s->qid names it. */
extern int injstore_commit (injstore *) ;
/* Removes tmp/<pid>/, prepared or in use, and closes its files. */
extern void injstore_abort (injstore *) ;
/* Removes an unused preparation with async-signal-safe calls only (a
 * signal handler's clean-up while no message is being built). */
extern void injstore_abort_signalsafe (injstore *) ;

#endif

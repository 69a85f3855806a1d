/* ISC license. */

#ifndef POSTHASTE_QUEUED_QDIR_H
#define POSTHASTE_QUEUED_QDIR_H

/* The queue directories (docs/queue.md, "Layout"). Every path is relative
 * to $PH_QUEUE_DIR, which is queued's current directory. Each function
 * returns 1, or 0 with errno. */

#include <stdint.h>

/* Creates tmp/, incoming/, queue/, corrupt/ and the trigger FIFO when
 * missing, and checks that what exists has the right type. */
extern int qdir_init (void) ;

/* Takes the queue lock (one queued per queue). Returns the lock fd, or
 * -1 with errno (EBUSY when another queued holds it). */
extern int qdir_lock (void) ;

/* incoming/<qid> -> queue/<qid>: queued has taken the message. */
extern int qdir_take (char const *qid) ;

/* from/<qid> -> corrupt/<from>-<qid>: kept aside for the admin. */
extern int qdir_corrupt (char const *from, char const *qid) ;

/* Removes from/<qid> (from: "queue", or "incoming" when a crash undid
 * the take). The commit point is the unlink of env: a directory without
 * env is a removal in progress and is finished on sight. With durable,
 * that unlink is fsynced before anything else goes (an admin's delete:
 * mailctl is told "deleted"). Without, nothing is: a message whose every
 * recipient is settled acknowledges nothing by going, and one that a
 * machine crash brings back is delivered again (at least once, as
 * Postfix's queue manager, which syncs no removal either). */
extern int qdir_remove (char const *from, char const *qid, int durable) ;

/* Removes tmp/ entries that no live queued-inject owns: the process named
 * by the entry is gone, or the entry is older than ossified seconds.
 * Returns the number removed. */
extern unsigned int qdir_clean_tmp (uint64_t ossified) ;

#endif

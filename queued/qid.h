/* ISC license. */

#ifndef POSTHASTE_QUEUED_QID_H
#define POSTHASTE_QUEUED_QID_H

/* Queue ids (docs/queue.md, "Queue ids"): base-62 digits [0-9A-Za-z],
 * 6 digits of Unix seconds, 4 digits of microseconds, then at least 2
 * digits of the inode number of the message directory. 12 to 21
 * characters; ids made in the same queue sort by arrival time. */

#include <stddef.h>
#include <stdint.h>

#define QID_MIN 12
#define QID_MAX 24

/* Writes the id (not NUL-terminated) into s (QID_MAX bytes), returns its
 * length. */
extern size_t qid_make (char *s, uint64_t sec, uint32_t usec, uint64_t ino) ;

/* Is s a well-formed queue id (length and alphabet)? */
extern int qid_valid (char const *s, size_t len) ;

#endif

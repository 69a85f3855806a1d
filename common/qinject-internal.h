/* ISC license. */

#ifndef POSTHASTE_QINJECT_INTERNAL_H
#define POSTHASTE_QINJECT_INTERNAL_H

#include <stddef.h>
#include <sys/uio.h>
#include <skalibs/tai.h>

#include "common/qinject.h"

#define QINJECT_FIELD_MAX 4096     /* docs/internals.md, Injection */
#define QINJECT_CHUNK_MAX 65536

/* The buffer's write op: sendmsg with MSG_NOSIGNAL, so a server that
 * answered early and closed gives EPIPE instead of killing the caller. */
extern ssize_t qinject_writev (int, struct iovec const *, unsigned int) ;

/* Appends one netstring (an optional tag byte, then s) to q->out,
 * flushing as needed before the deadline. */
extern int qinject_netstring (qinject *, char tag, char const *s, size_t len, tain const *deadline) ;

/* Parses the answer line in reply[0..len) (LF excluded, NUL-terminated
 * by the caller). Returns its letter, or 0 with errno EPROTO. */
extern char qinject_answer_letter (char const *reply, size_t len) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_AUTHCLIENT_INTERNAL_H
#define POSTHASTE_AUTHCLIENT_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/authclient.h"

/* Appends s[0..len) to sa with Dovecot's tab escaping (authclient.h).
 * Returns 1, or 0 with errno EINVAL (a NUL cannot be escaped) or
 * ENOMEM. */
extern int authclient_escape_cat (stralloc *sa, char const *s, size_t len) ;

/* Undoes the escaping of s[0..len): writes at most max bytes into out and
 * sets *outlen to the full unescaped length (more than max: the text
 * was cut). Returns 1, or 0 with errno EPROTO for an 0x01 not followed by
 * '1', 't', 'r' or 'n'. */
extern int authclient_unescape (char const *s, size_t len, char *out, size_t max, size_t *outlen) ;

#define AUTHCLIENT_FIELDS_MAX 64

/* Splits line[0..len) at TABs into f[] / flen[] (at most
 * AUTHCLIENT_FIELDS_MAX fields). Returns the number of fields (at least
 * 1), or 0 if there are more. */
extern unsigned int authclient_split (char const *line, size_t len, char const **f, size_t *flen) ;

/* The out buffer's write op: sendmsg with MSG_NOSIGNAL. */
extern ssize_t authclient_writev (int fd, struct iovec const *v, unsigned int n) ;

/* Reads one server line into ac->line (NUL-terminated, LF removed).
 * Returns 1 and its length in *len, or 0 with errno: EPROTO for a line
 * too long or holding a NUL or a CR, EPIPE for EOF, ETIMEDOUT. */
extern int authclient_getline (authclient *, size_t *len, tain const *deadline) ;

/* Sends ac->send followed by LF, then reads and parses the answer to
 * ac->id. On a local error the connection is closed. Returns as
 * authclient_auth(). */
extern int authclient_exchange (authclient *, authclient_reply *, tain const *deadline) ;

#endif

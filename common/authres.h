/* ISC license. */

#ifndef POSTHASTE_AUTHRES_H
#define POSTHASTE_AUTHRES_H

/* Authentication-Results (RFC 8601), the little of it we read: whose
 * field it is (the authserv-id, §2.2, §5: a border MTA removes fields
 * that claim its own id), and one method's result in it. Fields come
 * from outside: bounded by their length, no allocation. */

#include <stddef.h>

#define AUTHRES_ID_MAX 255

/* The authserv-id of a field value (after the ":"): the first token,
 * CFWS skipped (a value or a quoted-string, §2.2). 1 and id (NUL-ended,
 * AUTHRES_ID_MAX + 1 bytes) and *rest (offset of what follows it), or
 * 0. */
extern int authres_id (char const *value, size_t len, char *id, size_t *rest) ;

/* Does the field value claim this authserv-id? Compared ignoring ASCII
 * case (host names). */
extern int authres_claims (char const *value, size_t len, char const *ourid) ;

/* The result word of the first resinfo of method (e.g. "arc") in a
 * field value, copied into word (32 bytes). 1, or 0 when the method is
 * not there. */
extern int authres_result (char const *value, size_t len, char const *method, char *word) ;

#endif

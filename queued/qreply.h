/* ISC license. */

#ifndef POSTHASTE_QUEUED_QREPLY_H
#define POSTHASTE_QUEUED_QREPLY_H

/* A delivery agent's reply (docs/internals.md, "Delivery"): text0
 * fields, one verdict (K, Z or D with its text) per recipient of the
 * request, in order, each preceded by that recipient's R<address> and
 * X<key>=<value> fields; nothing after the last verdict. The bytes come
 * from another process: every length is bounded and anything else is a
 * malformed reply (tests/fuzz/delivery_reply.c). */

#include <stddef.h>

#define QREPLY_ADDR_MAX 4096
#define QREPLY_ADDS_MAX 1000   /* R fields in one reply */
#define QREPLY_X_MAX 4096      /* one X field, tag included */
#define QREPLY_XS_MAX 4000     /* X fields in one reply */

typedef struct qverdict_s qverdict, *qverdict_ref ;
struct qverdict_s
{
  char kind ;             /* 'K', 'Z' or 'D' */
  char const *text ;      /* NUL-terminated, inside the parsed buffer */
  char const *fields ;    /* this recipient's R and X fields */
  size_t fieldslen ;
  unsigned int nadds ;
  char const *remotemta ; /* XREMOTEMTA= value, or 0 */
  char const *diag ;      /* XDIAG= value, or 0 */
  char const *action ;    /* XACTION= value ("relayed"), or 0 */
} ;

/* Parses s[0..len) as the reply to a request for n recipients, filling
 * v[0..n). Returns 1, or 0 if it is not exactly that. */
extern int qreply_parse (char const *s, size_t len, unsigned int n, qverdict *v) ;

/* Walks the R fields of one verdict: *pos starts at 0; returns the next
 * address (and its length in *alen), or 0 at the end. */
extern char const *qreply_next_add (qverdict const *v, size_t *pos, size_t *alen) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QREPLY_H
#define POSTHASTE_QUEUED_QREPLY_H

/* deliverd's reply (docs/internals.md, "Delivery"): text0 fields, zero or
 * more R<address> then exactly one K, Z or D with its text, nothing
 * after. */

#include <stddef.h>

#define QREPLY_ADDR_MAX 4096
#define QREPLY_ADDS_MAX 1000

typedef struct qreply_s qreply, *qreply_ref ;
struct qreply_s
{
  char kind ;            /* 'K', 'Z' or 'D' */
  char const *text ;     /* NUL-terminated, inside the parsed buffer */
  char const *adds ;     /* the R fields: "R<addr>\0" ... */
  size_t addslen ;
  unsigned int nadds ;
} ;

/* Returns 1, or 0 if s[0..len) is not a valid reply. */
extern int qreply_parse (char const *s, size_t len, qreply *r) ;

/* Walks the R fields: *pos starts at 0; returns the next address (and
 * its length in *alen), or 0 at the end. */
extern char const *qreply_next_add (qreply const *r, size_t *pos, size_t *alen) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REQHEAD_H
#define POSTHASTE_DELIVERD_REQHEAD_H

/* What every request body from queued starts with, on deliverd.sock and
 * remote.sock (docs/internals.md): text0 fields "I<qid>\0F<sender>\0".
 * queued is trusted (its uid was checked) but its requests are still
 * checked byte by byte: a sender or recipient goes into a header line
 * or an SMTP command, so no control byte may pass (CR LF would inject
 * one), and every length is bounded. */

#include <stddef.h>

#define REQHEAD_ADDR_MAX 1024   /* a sender or recipient */

typedef struct reqhead_s reqhead, *reqhead_ref ;
struct reqhead_s
{
  char const *qid ;      /* [0-9A-Za-z]{12,24} */
  char const *sender ;   /* "" is the null sender <> */
  size_t pos ;           /* where the next field starts */
} ;

/* Checks that s[0..len) is a non-empty text0 body of at most max bytes
 * and parses its first two fields into *h; the pointers point into s.
 * Returns 1, or 0 and sets *why to a short static reason. Never reads
 * outside s[0..len). */
extern int reqhead_parse (char const *s, size_t len, size_t max, reqhead *h, char const **why) ;

/* Is s[0..len) an acceptable address: at most REQHEAD_ADDR_MAX bytes,
 * no control byte? */
extern int reqhead_addr_valid (char const *s, size_t len) ;

#endif

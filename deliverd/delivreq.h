/* ISC license. */

#ifndef POSTHASTE_DELIVERD_DELIVREQ_H
#define POSTHASTE_DELIVERD_DELIVREQ_H

/* The body of a delivery request from queued (docs/internals.md,
 * Delivery): text0 fields "I<qid>\0F<sender>\0T<recipient>\0", then
 * optional "X<key>=<value>\0" fields, ignored. Strict: any other shape is
 * a protocol error. The head (I and F) is reqhead.h's. */

#include <stddef.h>

#define DELIVREQ_MAX 16384       /* the whole body */
#define DELIVREQ_XFIELD_MAX 4096 /* one X field */
#define DELIVREQ_XFIELDS_MAX 64

typedef struct delivreq_s delivreq, *delivreq_ref ;
struct delivreq_s
{
  char const *qid ;      /* [0-9A-Za-z]{12,24} */
  char const *sender ;   /* "" is the null sender <> */
  char const *rcpt ;     /* non-empty */
  char const *folder ;   /* XFOLDER: a valid Maildir++ folder name, or 0 */
} ;

/* Parses s[0..len); the pointers point into s. Returns 1, or 0 and sets
 * *why to a short static reason. Never reads outside s[0..len). */
extern int delivreq_parse (char const *s, size_t len, delivreq *req, char const **why) ;

#endif

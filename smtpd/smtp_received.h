/* ISC license. */

#ifndef POSTHASTE_SMTP_RECEIVED_H
#define POSTHASTE_SMTP_RECEIVED_H

/* The Received trace header (RFC 5321 4.4, RFC 5322 3.6.7), in the
 * queue's canonical form (LF line ends):
 *
 *   Received: from <helo> (<rdns or unknown> [<ip>])
 *   <TAB>(using <TLS version> with cipher <cipher> (<bits>/<bits> bits))
 *   <TAB>by <host> (posthaste) with <proto> id <smtpid>
 *   <TAB>for <rcpt>; <RFC 5322 date>
 *
 * The "using" comment only over TLS, in Postfix's words, so that tools
 * reading Postfix's headers read ours.  *
 * "for" only when the message has exactly one recipient (several would
 * disclose the other recipients). The id is the session's own message
 * id, not the queue id: the queue id exists only once queued has
 * committed the message, after the header was sent; smtpd logs both on
 * its "accepted" line, so either one finds the other. */

#include <time.h>
#include <skalibs/stralloc.h>

typedef struct smtp_received_s smtp_received, *smtp_received_ref ;
struct smtp_received_s
{
  char const *helo ;   /* as the client gave it (validated by the session) */
  char const *rdns ;   /* 0 when unknown */
  char const *ip ;     /* 0 when unknown: no "[ip]" then */
  char const *host ;   /* our name */
  char const *proto ;  /* RFC 3848 / RFC 6531 3.7.3: ESMTP, ESMTPS, UTF8SMTPS, ... */
  char const *id ;
  char const *rcpt ;   /* 0 unless exactly one recipient */
  char const *tlsproto ;   /* 0 without TLS */
  char const *tlscipher ;
  unsigned int tlsbits ;   /* 0 if unknown: no "(n/m bits)" */
  unsigned int tlsalgbits ;
  time_t when ;
} ;

/* Appends the header to sa. Returns 1, or 0 on allocation failure. */
extern int smtp_received_build (stralloc *sa, smtp_received const *r) ;

#endif

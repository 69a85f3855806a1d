/* ISC license. */

#ifndef POSTHASTE_RATELIMIT_H
#define POSTHASTE_RATELIMIT_H

/* Rate limits shared by processes that each serve one connection
 * ("count/seconds": at most count events in any window of that many
 * seconds, a sliding window): submitd's messages and recipients per
 * login (PH_SUBMISSION_RATE, PH_SUBMISSION_RCPT_RATE), smtpd's RCPT
 * commands per client address (PH_SMTP_RCPT_RATE_IP). The count lives on
 * disk: one small file per key in a directory of the caller's uid (one
 * directory per limiter: files not written for a window are swept now
 * and then; a missing last component is made, mode 0700),
 * named by the SHA-256 of the lower-cased key (any key gives a safe,
 * fixed-length name), mode 0600. It holds one 16-octet record per event
 * in the window: the Unix time (big-endian, 8 octets) and a random token
 * (8 octets). Every change happens under an exclusive flock(2) on the
 * file, read-modify-write, so concurrent sessions count exactly.
 *
 * An event is counted as a reservation: ratelimit_take() refuses when the
 * window is full, else appends a record with the limiter's token (one
 * token per transaction: several takes in one transaction share it);
 * ratelimit_release() removes every record of the token (the transaction
 * ended without effect: refused, RSET, QUIT), ratelimit_keep() keeps them.
 * So no burst of parallel sessions can get past the limit, and failed
 * attempts cost nothing. A session killed mid-transaction leaves its
 * reservations to expire with the window (the safe side).
 *
 * Bounds: count <= RATELIMIT_COUNT_MAX, so a file holds at most that many
 * records (1.6 MB); records outside the window (or more than a window
 * in the future: the clock went back) are dropped at every change. The
 * file is not fsynced: a crash forgets recent counts, never mail. */

#include <stdint.h>
#include <time.h>

#define RATELIMIT_COUNT_MAX 100000
#define RATELIMIT_WINDOW_MAX (30U * 86400U)
#define RATELIMIT_RECORD 16

typedef struct ratelimit_s ratelimit, *ratelimit_ref ;
struct ratelimit_s
{
  unsigned int count ;     /* 0: no limit */
  unsigned int window ;    /* seconds */
  char const *dir ;
  uint64_t token ;         /* the reservations held, 0 if none */
  char path[512] ;         /* the key's file, once known */
} ;

/* Parses "count/seconds" (both > 0 and within the bounds). 1 or 0. */
extern int ratelimit_parse (char const *spec, unsigned int *count, unsigned int *window) ;

/* Takes one event for key at time now. Returns 1 (reserved), 0 (the
 * window is full), or -1 with errno (the file cannot be used). Every
 * take until the next release or keep must name the same key. */
extern int ratelimit_take (ratelimit *, char const *key, time_t now) ;

/* The transaction ended without effect: gives the reservations back.
 * Errors are ignored (the reservations then expire). */
extern void ratelimit_release (ratelimit *) ;

/* The events happened: the reservations stay, as their count. */
extern void ratelimit_keep (ratelimit *) ;

#endif

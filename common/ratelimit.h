/* ISC license. */

#ifndef POSTHASTE_SUB_RATE_H
#define POSTHASTE_SUB_RATE_H

/* The per-user sending rate limit (PH_SUBMISSION_RATE = "count/seconds":
 * at most count messages in any window of that many seconds, a sliding
 * window). Every submission connection is its own process, so the count
 * lives on disk: one small file per login under $PH_STATE/ratelimit/,
 * named by the SHA-256 of the lower-cased login (any login gives a safe,
 * fixed-length name), owned by phsubmit, mode 0600. It holds one 16-octet
 * record per message in the window: the Unix time (big-endian, 8 octets)
 * and a random token (8 octets). Every change happens under an exclusive
 * flock(2) on the file, read-modify-write, so concurrent sessions of one
 * user count exactly.
 *
 * A message is counted at MAIL: sub_rate_take() refuses when the window
 * is full, else appends a reservation; when the transaction ends without
 * a message taken (refused, RSET, QUIT), sub_rate_release() removes it;
 * sub_rate_keep() keeps it for a message taken. So no burst of parallel
 * sessions can get past the limit, and failed attempts cost nothing. A
 * session killed mid-transaction leaves its reservation to expire with
 * the window (the safe side).
 *
 * Bounds: count <= SUB_RATE_COUNT_MAX, so a file holds at most that many
 * records (1.6 MB); records outside the window (or more than a window
 * in the future: the clock went back) are dropped at every change. The
 * file is not fsynced: a crash forgets recent counts, never mail. */

#include <stdint.h>
#include <time.h>

#define SUB_RATE_COUNT_MAX 100000
#define SUB_RATE_WINDOW_MAX (30U * 86400U)
#define SUB_RATE_RECORD 16

typedef struct sub_rate_s sub_rate, *sub_rate_ref ;
struct sub_rate_s
{
  unsigned int count ;     /* 0: no limit */
  unsigned int window ;    /* seconds */
  char const *dir ;
  uint64_t token ;         /* the reservation held, 0 if none */
  char path[512] ;         /* the login's file, once known */
} ;

/* Parses "count/seconds" (both > 0 and within the bounds). 1 or 0. */
extern int sub_rate_parse (char const *spec, unsigned int *count, unsigned int *window) ;

/* Takes one message for login at time now. Returns 1 (reserved), 0 (the
 * window is full), or -1 with errno (the file cannot be used). */
extern int sub_rate_take (sub_rate *, char const *login, time_t now) ;

/* The transaction ended without a message taken: gives the reservation
 * back. Errors are ignored (the reservation then expires). */
extern void sub_rate_release (sub_rate *) ;

/* A message was taken: the reservation stays, as its count. */
extern void sub_rate_keep (sub_rate *) ;

#endif

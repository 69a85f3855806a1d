/* ISC license. */

#ifndef POSTHASTE_LINEIO_H
#define POSTHASTE_LINEIO_H

/* Bounded, deadline-aware line input on a non-blocking fd, for protocol
 * servers reading untrusted peers (smtpd, authd, imapd, pop3d, ...).
 * Never blocks past the deadline, never stores more than the caller's
 * buffer. The fd under the buffer must be O_NONBLOCK. */

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#define LINEIO_CRLF 0x01     /* the line ended with CR LF */
#define LINEIO_BARECR 0x02   /* a CR not followed by LF occurred inside the line */
#define LINEIO_NUL 0x04      /* a NUL byte occurred inside the line */

/* Reads one line ending in LF into buf (at most max bytes, the LF and a
 * preceding CR not stored, buf NUL-terminated, so max must leave room for
 * the NUL). Returns 1 and sets *len and *flags; 0 on EOF before any byte;
 * -1 on error with errno:
 *   ETIMEDOUT  the deadline passed
 *   ERANGE     the line is longer than max-1: the rest of it, up to and
 *              including its LF, has been read and discarded (bounded by
 *              the deadline), *len = 0
 *   EPIPE      EOF in the middle of a line
 *   other      read error
 * After ETIMEDOUT or EPIPE the bytes of the partial line have been
 * consumed: end the session rather than read on. A line already in the
 * buffer is returned even if the deadline has passed. lineio_get and
 * lineio_flush read the clock (tain_now_g) themselves; deadlines are
 * absolute tains on the same clock (tain_now_set_stopwatch_g or not). */
extern int lineio_get (buffer *b, char *buf, size_t max, size_t *len, unsigned int *flags, tain const *deadline) ;

/* Is unread input waiting in the buffer? (PIPELINING decisions, and the
 * STARTTLS rule: buffered plaintext is discarded at the switch.) */
extern int lineio_pending (buffer const *b) ;

/* Discards everything already buffered. */
extern void lineio_discard (buffer *b) ;

/* Flushes b (a write buffer on a non-blocking fd) before the deadline.
 * Returns 1, or 0 with errno (ETIMEDOUT, EPIPE, ...). */
extern int lineio_flush (buffer *b, tain const *deadline) ;

/* Appends s to b and flushes it before the deadline. */
extern int lineio_put (buffer *b, char const *s, size_t len, tain const *deadline) ;
extern int lineio_puts (buffer *b, char const *s, tain const *deadline) ;

#endif

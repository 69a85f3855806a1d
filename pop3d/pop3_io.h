/* ISC license. */

#ifndef POSTHASTE_POP3_IO_H
#define POSTHASTE_POP3_IO_H

/* The client connection of both POP3 halves (pop3d before login,
 * pop3-session after): plaintext on fds 0/1 (TLS is tlsd's), every read
 * bounded by the idle deadline, every write by POP3_WRITE_SECS.
 * Replies are queued and flushed when no pipelined command is waiting
 * (RFC 2449 §6.6, PIPELINING), and always before waiting for input. */

#include <stddef.h>
#include <skalibs/gccattributes.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#define POP3_INBUF 16385          /* HANDOVER_PENDING_MAX + 1: all of it can be handed over */
#define POP3_OUTBUF 16384
#define POP3_WRITE_SECS 60

typedef struct pop3_io_s pop3_io, *pop3_io_ref ;
struct pop3_io_s
{
  buffer in ;
  buffer out ;
  tain idle ;              /* the idle timeout */
  tain deadline ;          /* for the next input */
  char const *rip ;        /* for the logs */
  char const *session ;
  void (*on_close) (void) ;   /* called before exiting on a lost client or a timeout (pop3-session's \Seen), may be 0 */
  char inbuf[POP3_INBUF] ;
  char outbuf[POP3_OUTBUF] ;
} ;

/* Sets up the buffers on fds 0 and 1 (already non-blocking) and the idle
 * timeout in seconds. */
extern void pop3_io_init (pop3_io *, unsigned int idlesecs) ;

/* Restarts the idle deadline (after each command). */
extern void pop3_io_touch (pop3_io *) ;

/* Queues bytes; flushes when the buffer fills. A client that does not
 * read within POP3_WRITE_SECS is dropped (exit 99). */
extern void pop3_io_put (pop3_io *, char const *s, size_t len) ;
extern void pop3_io_puts (pop3_io *, char const *s) ;
/* Queues "text\r\n"; flushes unless another command is already
 * buffered. */
extern void pop3_io_reply (pop3_io *, char const *text) ;
extern void pop3_io_flush (pop3_io *) ;

/* Sends "-ERR text" (best effort, 5 s) and exits with e. */
extern void pop3_io_bye (pop3_io *, char const *text, int e) gccattr_noreturn ;

/* Reads one line into buf (max bytes, NUL-terminated, CRLF removed),
 * flushing the output first. Returns 1 (with *flags, LINEIO_*), 0 when
 * it was too long (the line was read and thrown away), -1 at EOF or
 * when the client is gone. The idle deadline passing ends the session
 * with "-ERR Disconnected for inactivity." (exit 99). */
extern int pop3_io_getline (pop3_io *, char *buf, size_t max, size_t *len, unsigned int *flags) ;

#endif

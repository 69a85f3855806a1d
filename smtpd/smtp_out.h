/* ISC license. */

#ifndef POSTHASTE_SMTP_OUT_H
#define POSTHASTE_SMTP_OUT_H

/* The reply writer. Replies are appended to a buffer and written only
 * when the session flushes: RFC 2920 (PIPELINING) section 3.2 lets a
 * server hold replies while more pipelined commands are waiting, and
 * requires it to flush before it blocks reading, and after the commands
 * that need a synchronous answer (EHLO, DATA's 354, QUIT). Replies
 * always leave in the order of the commands. Every reply carries an RFC
 * 3463 enhanced status code (RFC 2034 allows them on every reply once
 * they are advertised; we put them from the start, which is simplest and
 * harmless). Text is cut to fit RFC 5321 4.5.3.1.5 (512 octets per reply
 * line with its CRLF) and control bytes in it become '?': a reply may
 * quote the queue's answer, which is not ours to trust blindly. */

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#define SMTP_REPLY_LINE_MAX 512
#define SMTP_OUT_BUFSIZE 16384

typedef struct smtp_out_s smtp_out, *smtp_out_ref ;
struct smtp_out_s
{
  buffer b ;
  tain const *deadline ;  /* for flushes forced by a full buffer */
  unsigned int lastcode ;
  char buf[SMTP_OUT_BUFSIZE] ;
} ;

/* fd must be non-blocking. deadline is read on every flush and may be
 * updated in place by the caller. */
extern void smtp_out_init (smtp_out *, int fd, tain const *deadline) ;

/* Appends "code-enh text\r\n" (more != 0) or "code enh text\r\n".
 * enh may be 0 for a reply that carries none (the 220 greeting).
 * Flushes first only if the buffer could not hold the line. Returns 1,
 * or 0 with errno if that flush failed. */
extern int smtp_out_line (smtp_out *, unsigned int code, char const *enh, int more, char const *text, size_t textlen) ;
extern int smtp_out_reply (smtp_out *, unsigned int code, char const *enh, char const *text) ;

/* Writes everything buffered before the deadline. 1, or 0 with errno. */
extern int smtp_out_flush (smtp_out *) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_SMTP_DATA_H
#define POSTHASTE_SMTP_DATA_H

/* The DATA reader (RFC 5321 4.1.1.4, 4.5.2) as a pure state machine:
 * bytes from the client go in, the message in the queue's canonical form
 * (LF line ends, dot-unstuffed) comes out, and the end of data is
 * recognised ONLY as <CRLF>.<CRLF>, where the first CRLF is the end of a
 * line that itself ended in CRLF (the DATA command's own CRLF counts as
 * the first one). A bare CR or bare LF never ends a line for this
 * purpose, so "\n.\n", "\r.\r", "\n.\r\n" or "\r\n.\n" cannot end the
 * data and a second message can never begin inside the first (SMTP
 * smuggling). Such bytes, NUL bytes, over-long lines and an over-size
 * message are recorded as errors; once an error is recorded nothing more
 * is output and the caller just drains to the real end. No I/O, no
 * allocation: the fuzzer calls it directly. */

#include <stddef.h>
#include <stdint.h>

#define SMTP_DATA_BARECR 0x01    /* a CR not followed by LF */
#define SMTP_DATA_BARELF 0x02    /* an LF not preceded by CR */
#define SMTP_DATA_NUL 0x04       /* a NUL byte */
#define SMTP_DATA_LONGLINE 0x08  /* a line longer than maxline */
#define SMTP_DATA_TOOBIG 0x10    /* more than maxsize bytes of message */

typedef struct smtp_data_s smtp_data, *smtp_data_ref ;
struct smtp_data_s
{
  uint64_t maxsize ;   /* limit on the canonical size (LF line ends) */
  uint64_t size ;      /* canonical bytes seen so far, output or not */
  size_t maxline ;     /* limit on a line's length, without its CRLF */
  size_t linelen ;
  unsigned int state ;
  unsigned int errors ; /* SMTP_DATA_* */
  unsigned int done : 1 ;
} ;

extern void smtp_data_init (smtp_data *, uint64_t maxsize, size_t maxline) ;

/* Feeds in[0..inlen). Writes the canonical form of the accepted bytes to
 * out (which has room for inlen bytes: the output is never longer than
 * the input) and its length to *outlen; nothing is written once errors
 * is non-zero. Returns the number of input bytes consumed: all of them,
 * unless the end of data was reached, in which case done is set and the
 * bytes after the final LF (pipelined commands) are left unconsumed. */
extern size_t smtp_data_feed (smtp_data *, char const *in, size_t inlen, char *out, size_t *outlen) ;

/* The BDAT reader (RFC 3030), smtp_chunk.c: chunk contents go in, one
 * chunk after the other, and come out in the same canonical form. There
 * is no end marker and no dot-stuffing: the chunk sizes frame the
 * message. RFC 3030 lets BDAT carry any octet, but the queue stores LF
 * text, so CRLF becomes LF (also when a chunk ends between the CR and
 * the LF) and a bare CR, a bare LF or a NUL is an error, as in DATA;
 * so are over-long lines and an over-size message. The same struct,
 * limits and error flags as DATA; "done" is not used. Pure. */
extern void smtp_chunk_init (smtp_data *, uint64_t maxsize, size_t maxline) ;

/* Feeds in[0..inlen) (all of it is consumed); writes the canonical
 * bytes to out (room for inlen bytes) and returns their number, 0 once
 * errors is non-zero. */
extern size_t smtp_chunk_feed (smtp_data *, char const *in, size_t inlen, char *out) ;

/* The last chunk has been fed: a CR still waiting for its LF was bare. */
extern void smtp_chunk_end (smtp_data *) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QTRIGGER_H
#define POSTHASTE_QUEUED_QTRIGGER_H

/* The trigger FIFO's contents, as queued reads them (docs/queue.md,
 * "trigger"): a line "<qid>\n" per message queued-inject committed.
 * queued-inject writes each line whole, in one write shorter than
 * PIPE_BUF, but a read may end inside one (the reader's buffer is full)
 * and the FIFO is writable by the phinject group: every byte is taken
 * as untrusted, a line is only a candidate name for qid_valid. */

#include <stddef.h>

typedef struct qtrigger_s qtrigger, *qtrigger_ref ;
struct qtrigger_s
{
  int midline ;   /* the last chunk ended inside a line */
} ;
#define QTRIGGER_ZERO { .midline = 0 }

/* Calls name(s, len, arg) for each line of chunk[0..n) that ends in it
 * and began at a line start (the first line of the stream, or after a
 * '\n'); a line whose start was in an earlier chunk is skipped, as its
 * head was (a cut line is never misread as a shorter name). s points
 * into chunk, without the '\n'. Returns how many names it passed. */
extern size_t qtrigger_lines (qtrigger *, char const *chunk, size_t n, void (*name)(char const *, size_t, void *), void *arg) ;

#endif

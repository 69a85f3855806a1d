/* ISC license. */

#ifndef POSTHASTE_QUEUED_QREC_H
#define POSTHASTE_QUEUED_QREC_H

/* Queue file records (docs/queue.md, "Record format"): a one-byte type,
 * then the data as a netstring: T<len>:<data>, . Self-delimiting, binary
 * safe, and every file ends with an explicit end record E0:, so a reader
 * tells a complete file from a torn one (Postfix's rec_type discipline). */

#include <stddef.h>
#include <sys/types.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#define QREC_DATA_MAX 8192   /* no record we write is longer */

typedef struct qrec_s qrec, *qrec_ref ;
struct qrec_s
{
  char type ;
  char const *s ;   /* points into the parsed input */
  size_t len ;
} ;

extern int qrec_append (stralloc *, char type, char const *s, size_t len) ;
/* qrec_put: b writes to a blocking fd (a queue file). */
extern int qrec_put (buffer *, char type, char const *s, size_t len) ;

/* Parses one record at the start of s[0..len). Returns the number of bytes
 * it takes (> 0), 0 if s ends before the record does (torn), or -1 if the
 * bytes are not a record (bad syntax, data longer than QREC_DATA_MAX). */
extern ssize_t qrec_parse (char const *s, size_t len, qrec *r) ;

#endif

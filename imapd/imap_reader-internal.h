/* ISC license. */

#ifndef POSTHASTE_IMAP_READER_INTERNAL_H
#define POSTHASTE_IMAP_READER_INTERNAL_H

/* imap_reader.state: a phase in the low bits, flags above. */
#define IMAP_RS_PHASE 0x0f
#define IMAP_RS_LINE 0          /* reading a line of the command */
#define IMAP_RS_LITERAL 1       /* reading literal bytes into cmd */
#define IMAP_RS_SKIPLINE 2      /* discarding the rest of a refused line */
#define IMAP_RS_SKIPLITERAL 3   /* discarding a refused line's {n+} bytes */
#define IMAP_RS_DONE 4          /* a complete command is in cmd */
#define IMAP_RS_APPEND 0x10     /* the command is APPEND: literal_max applies */
#define IMAP_RS_NAMED 0x20      /* the first line was seen */
#define IMAP_RS_NONSYNC 0x40    /* the last literal header was {n+} */
#define IMAP_RS_CLOSE 0x80      /* the connection cannot be resynchronised */

#define IMAP_RS_TAIL 32         /* bytes of a skipped line kept to find {n+} */

#include "imapd/imap_parse.h"

/* Empties r->cmd for the next command; while a line is being skipped,
 * keeps the last IMAP_RS_TAIL bytes of that line (imap_reader_reset.c). */
extern void imap_reader_clear (imap_reader *r) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QFREPLY_H
#define POSTHASTE_QUEUED_QFREPLY_H

/* A filter program's answer on its stdout (docs/filters.md): header
 * fields to prepend (RFC 5322 2.2, LF line ends, folding allowed), an
 * empty line, then one verdict line:
 *   deliver | junk | discard | tempfail   [ SP text ]
 * then, optionally, lines "remove <Field-Name> <n>": drop the n-th field
 * of that name from the header the filter read (docs/filters.md).
 * The empty line may be left out when there is no header. The bytes come
 * from an outside program: the parser is strict, bounded and allocates
 * nothing (tests/fuzz/filter_reply.c). */

#include <stddef.h>

#define QFREPLY_MAX 65536        /* the whole answer */
#define QFREPLY_LINE_MAX 998     /* RFC 5322 2.1.1, without the LF */
#define QFREPLY_TEXT_MAX 512     /* the text after the verdict */

#define QFV_DELIVER 1
#define QFV_JUNK 2
#define QFV_DISCARD 3
#define QFV_TEMPFAIL 4

typedef struct qfreply_s qfreply, *qfreply_ref ;
struct qfreply_s
{
  int verdict ;
  size_t hdrlen ;       /* the header fields are s[0..hdrlen), each line ending in LF */
  char const *text ;    /* after the verdict word, without the LF; "" if none */
  size_t textlen ;
  char const *removes ; /* the "remove <Field-Name> <n>" lines after the verdict, each ending in LF */
  size_t removeslen ;
} ;

#define QFREPLY_REMOVE_MAX 16    /* remove lines in one answer */
#define QFREPLY_REMOVE_N_MAX 9999

/* Walks the remove lines of a parsed answer: *pos starts at 0. Returns 1
 * with the field name and the occurrence (1 = the topmost field of that
 * name), 0 at the end. */
extern int qfreply_remove_next (qfreply const *r, size_t *pos, char const **name, size_t *namelen, unsigned int *n) ;

/* Parses s[0..len). Returns 1, or 0 and points *why at a short reason. */
extern int qfreply_parse (char const *s, size_t len, qfreply *r, char const **why) ;

#endif

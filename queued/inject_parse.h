/* ISC license. */

#ifndef POSTHASTE_QUEUED_INJECT_PARSE_H
#define POSTHASTE_QUEUED_INJECT_PARSE_H

/* The injection protocol parser (docs/internals.md, "Injection"): an
 * incremental decoder of the client's netstrings that also checks the
 * envelope rules. It does no I/O and allocates nothing, so it can be fed
 * any bytes in any slicing (tests/fuzz/inject_proto.c). Every limit is
 * checked as soon as the length prefix is known, before the data comes. */

#include <stddef.h>
#include <stdint.h>

#define INJ_FIELD_MAX 4096     /* one envelope value, without its tag */
#define INJ_CHUNK_MAX 65536    /* one message netstring */
#define INJ_RCPT_MAX 10000

#define INJ_NEED 0     /* all input consumed, nothing complete yet */
#define INJ_FIELD 1    /* an envelope field: tag, s, len (s has no NUL) */
#define INJ_ENVEND 2   /* the envelope is complete and valid */
#define INJ_DATA 3     /* message bytes: s, len point into the input */
#define INJ_MSGEND 4   /* the message is complete; the parser is reset */
#define INJ_ERROR 5    /* s: "<enhanced code> <text>", permanent (D) */

typedef struct injevent_s injevent, *injevent_ref ;
struct injevent_s
{
  int type ;
  char tag ;
  char const *s ;
  size_t len ;
} ;

typedef struct injparse_s injparse, *injparse_ref ;
struct injparse_s
{
  uint64_t sizemax ;     /* message bytes allowed; 0 = no limit */
  uint64_t size ;        /* message bytes so far */
  size_t want ;          /* state DATA: data bytes still to come */
  size_t num ;           /* state LEN: the length read so far */
  unsigned int ndigits ;
  unsigned int nrcpt ;
  unsigned char phase ;  /* 0 envelope, 1 message, 2 failed */
  unsigned char state ;  /* 0 length, 1 data, 2 comma */
  unsigned char started ;
  unsigned char havesender ;
  char prevtag ;
  size_t flen ;
  char field[INJ_FIELD_MAX + 1] ;
} ;

/* Prepares p for a new connection (and keeps sizemax for every message). */
extern void injparse_init (injparse *p, uint64_t sizemax) ;

/* Consumes bytes from s[0..len) until an event happens or the input ends.
 * Returns the number of bytes consumed and fills *ev. After INJ_ERROR the
 * parser stays failed: the caller answers and closes. */
extern size_t injparse_feed (injparse *p, char const *s, size_t len, injevent *ev) ;

/* Has the client sent any byte of the current message? (EOF now means the
 * client went away mid-message.) */
#define injparse_started(p) ((p)->started)

#endif

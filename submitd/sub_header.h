/* ISC license. */

#ifndef POSTHASTE_SUB_HEADER_H
#define POSTHASTE_SUB_HEADER_H

/* The submission fix-ups on a message's header section (RFC 6409 8),
 * as a pure state machine between the DATA/BDAT reader and the queue:
 * the message in the queue's form (LF line ends) goes in, block after
 * block, and comes out unchanged except that the header fields the
 * message lacks among those given at init (a Date: line, a Message-ID:
 * line) are added at the end of its header section, where Postfix's
 * cleanup adds them. On the way it notes which fields are present and
 * keeps the values of the From: fields, unfolded, for the sender
 * ownership check (SPOOF_PROTECTION).
 *
 * The header section (RFC 5322 2.2, 3.5) is the lines up to the first
 * empty line; a line is a field if it starts with a field name (printable
 * ASCII but ':', at most SUB_HDR_HOLD_MAX octets) followed by optional
 * white space (4.5.8, obsolete) and ':'; a line starting with white space
 * continues the field before it. The first line that is neither ends the
 * section: the body begins there, and when fields are added an empty
 * line is put before it, so that it cannot be read as a header. Nothing
 * is held back except the beginning of one line, until its name is
 * known; nothing is held at all once the body began. No I/O, no
 * allocation: tests/fuzz/submit_header.c drives it. */

#include <stddef.h>

#define SUB_HDR_HOLD_MAX 998      /* a field name longer than a line may be is no field name */
#define SUB_HDR_ADD_MAX 1024      /* the fields to add, in all */
#define SUB_HDR_FROM_MAX 8192     /* the From: values kept */
/* Room the output needs beyond the input's length, on every feed. */
#define SUB_HDR_EXTRA (SUB_HDR_HOLD_MAX + SUB_HDR_ADD_MAX + 2)

typedef struct sub_header_s sub_header, *sub_header_ref ;
struct sub_header_s
{
  unsigned int state ;
  unsigned int field ;        /* the field the current line continues */
  size_t holdlen ;
  char hold[SUB_HDR_HOLD_MAX + 1] ;
  char const *adddate ;       /* "Date: ...\n", or "" */
  char const *addmsgid ;      /* "Message-ID: <...>\n", or "" */
  size_t fromlen ;
  char from[SUB_HDR_FROM_MAX] ;  /* the From: values, unfolded, separated by NUL */
  unsigned int nfrom ;        /* From: fields seen */
  unsigned int has_date : 1 ;
  unsigned int has_msgid : 1 ;
  unsigned int fromtoolong : 1 ;  /* the From: values did not fit: not checkable */
  unsigned int added : 1 ;        /* the header section ended (fields added if missing) */
} ;

/* adddate and addmsgid: complete header lines ending in LF (or ""),
 * together at most SUB_HDR_ADD_MAX octets, kept by pointer: each is
 * added only if the message has no field of that name. Returns 1, or 0
 * if they are too long. */
extern int sub_header_init (sub_header *, char const *adddate, char const *addmsgid) ;

/* Has the body begun (everything from now on passes as it is)? */
extern int sub_header_inbody (sub_header const *) ;

/* Feeds in[0..inlen); writes what is to be queued to out, which has room
 * for inlen + SUB_HDR_EXTRA octets, and returns its length. */
extern size_t sub_header_feed (sub_header *, char const *in, size_t inlen, char *out) ;

/* The message ended: writes what is still held and, for a message that
 * is all header, the missing fields (room: SUB_HDR_EXTRA). Returns the
 * length. */
extern size_t sub_header_end (sub_header *, char *out) ;

#endif

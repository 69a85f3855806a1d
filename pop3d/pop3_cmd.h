/* ISC license. */

#ifndef POSTHASTE_POP3_CMD_H
#define POSTHASTE_POP3_CMD_H

/* The POP3 command line (RFC 1939 §3, RFC 2449 §3), shared by pop3d
 * (AUTHORIZATION state) and pop3-session (TRANSACTION state). A line
 * reaches the parser without its CRLF; the caller has already refused
 * NUL bytes and bare CRs. No I/O: tests/fuzz/pop3_command.c. */

#include <stddef.h>
#include <stdint.h>

/* Above RFC 2449's 255 octets: an AUTH PLAIN initial response with a
 * long password does not fit in 255, and Dovecot accepts such lines. */
#define POP3_LINE_MAX 1024
#define POP3_SASL_LINE_MAX 8192    /* an AUTH continuation line (RFC 5034 §4) */

#define POP3_UNKNOWN 0
#define POP3_USER 1
#define POP3_PASS 2
#define POP3_QUIT 3
#define POP3_STAT 4
#define POP3_LIST 5
#define POP3_RETR 6
#define POP3_DELE 7
#define POP3_NOOP 8
#define POP3_RSET 9
#define POP3_TOP 10
#define POP3_UIDL 11
#define POP3_CAPA 12
#define POP3_STLS 13
#define POP3_AUTH 14
#define POP3_APOP 15
#define POP3_VERB_MAX 15

typedef struct pop3_cmd_s pop3_cmd, *pop3_cmd_ref ;
struct pop3_cmd_s
{
  unsigned int verb ;     /* POP3_* */
  char name[9] ;          /* the keyword as sent, upper-cased, for the logs; "" if longer than 8 */
  unsigned int nnum ;     /* LIST, UIDL: 0 or 1; RETR, DELE: 1; TOP: 2 */
  uint32_t num[2] ;       /* message number (≥ 1), then TOP's line count */
  char const *arg ;       /* USER, PASS: the rest of the line; AUTH: the mechanism, or 0 */
  size_t arglen ;
  char const *arg2 ;      /* AUTH: the initial response, or 0 */
  size_t arg2len ;
  char const *error ;     /* when the parse fails: why, for "-ERR <error>" */
} ;

/* Parses line[0..len). Returns 1 with *c filled (verb POP3_UNKNOWN for
 * a keyword we do not know), or 0 with c->error (and c->verb when the
 * keyword was recognised) for a malformed command. Every pointer set
 * points into line. */
extern int pop3_cmd_parse (char const *line, size_t len, pop3_cmd *c) ;

/* The keyword's name for the logs ("USER", ...), "" for POP3_UNKNOWN. */
extern char const *pop3_cmd_name (unsigned int verb) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_FILTERREQ_H
#define POSTHASTE_FILTERREQ_H

/* The request queued sends on filter.sock (docs/internals.md, Sockets;
 * docs/filters.md "How a program is run"): one skalibs unixmessage with
 * exactly 2 fds (the program's stdin, a pipe's read end, then its
 * stdout, a pipe's write end) and this body, NUL-terminated strings:
 *
 *   "inbound" or "outbound"     the chain
 *   the stage, in decimal        the program's place in it, from 0
 *   the command                  that stage's words joined by single spaces,
 *                                as queued parsed them (common/filterchain.h)
 *   NAME=value ...               the per-message variables, each at most once
 *
 * NAME is one of filterreq_names; a value holds no NUL and is at most
 * FILTERREQ_VALUE_MAX bytes (RECIPIENTS: FILTERREQ_RECIPIENTS_MAX). The
 * answer, when the program has exited, is one message of 4 bytes: its
 * wait status, big-endian, no fds. */

#include <stddef.h>

#include "common/filterchain.h"

#define FILTERREQ_VARS 11
#define FILTERREQ_VALUE_MAX 4096
#define FILTERREQ_RECIPIENTS_MAX 65536
#define FILTERREQ_MAX (16 + 8 + FILTERCHAIN_COMMAND_MAX + FILTERREQ_RECIPIENTS_MAX + FILTERREQ_VARS * (FILTERREQ_VALUE_MAX + 24))
#define FILTERREQ_STATUS_LEN 4

extern char const *const filterreq_names[FILTERREQ_VARS + 1] ;

typedef struct filterreq_s filterreq, *filterreq_ref ;
struct filterreq_s
{
  unsigned int outbound ;
  unsigned int stage ;
  char const *command ;
  unsigned int nvars ;
  char const *vars[FILTERREQ_VARS] ;   /* "NAME=value", pointing into the body */
} ;

/* Parses body s[0..len). 1, or 0 with *why (a protocol error). */
extern int filterreq_parse (char const *s, size_t len, filterreq *r, char const **why) ;

/* Is e ("NAME=value") one of the per-message variables? */
extern int filterreq_is_var (char const *e) ;

#endif

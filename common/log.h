/* ISC license. */

#ifndef POSTHASTE_LOG_H
#define POSTHASTE_LOG_H

/* One event per line on stderr, key=value fields (docs/internals.md, Logs):
 *   PROG: event=<name> key=value key="value with spaces" ...
 * A line is built in a fixed buffer (no allocation, so logging works when
 * memory is short) and written with one write(2), so lines from concurrent
 * processes sharing the log pipe never interleave. Over-long lines are cut
 * and end with "..." . */

#include <stddef.h>
#include <stdint.h>

#define LOGLINE_MAX 2048

typedef struct logline_s logline, *logline_ref ;
struct logline_s
{
  size_t len ;
  char buf[LOGLINE_MAX] ;
} ;

/* 0 quiet (log_commit writes nothing), 1 default, 2 verbose, 3 debug:
 * callers test it before building verbose lines. */
extern unsigned int log_verbosity ;

extern void log_begin (logline *, char const *event) ;
extern void log_kv (logline *, char const *key, char const *value) ;
extern void log_kvn (logline *, char const *key, char const *value, size_t n) ;
extern void log_kvu (logline *, char const *key, uint64_t value) ;
/* A null value in log_kv is written as "". log_commit keeps errno. */
extern void log_commit (logline *) ;

/* Shorthands for the common cases. */
extern void log_event1 (char const *event, char const *k1, char const *v1) ;
extern void log_event2 (char const *event, char const *k1, char const *v1, char const *k2, char const *v2) ;
extern void log_event3 (char const *event, char const *k1, char const *v1, char const *k2, char const *v2, char const *k3, char const *v3) ;

#endif

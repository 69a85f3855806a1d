/* ISC license. */

#ifndef POSTHASTE_MAILCTL_CMD_QUEUE_H
#define POSTHASTE_MAILCTL_CMD_QUEUE_H

/* mailctl queue ... and mailq: the client of queued's control socket
 * ($PH_QUEUE_DIR/control, queued/qctl.h). queued answers with lines of
 * tab-separated fields, values escaped (\xHH for control bytes, tab,
 * backslash), ending with "ok\t<text>" or "error\t<text>". */

#include <stddef.h>
#include <skalibs/stralloc.h>

#define MCQ_REPLY_MAX (256U << 20)   /* a listing of a very full queue */
#define MCQ_TIMEOUT 60
#define MCQ_FIELDS_MAX 8

#define MC_USAGE_QUEUE "mailctl queue list | show ID | flush | retry ID | delete ID | hold ID | release ID"

/* Splits line (NUL-terminated, no LF) at tabs, in place, and unescapes
 * each field (\xHH; a bad escape is kept as it is). Returns the number of
 * fields, at most max (the last one keeps any further tabs' text). */
extern unsigned int mcq_split (char *line, char **fields, unsigned int max) ;

/* Sends one command, reads the whole answer into *reply (NUL-free lines
 * ending in LF). Dies 111 if queued cannot be reached, 100 on config. */
extern void mcq_ask (char const *command, stralloc *reply) ;

/* The printers: reply holds queued's answer lines (LF-terminated). They
 * return the exit code (0, or 1 if queued said error). */
extern int mcq_print_list (stralloc *reply) ;
extern int mcq_print_mailq (stralloc *reply) ;
extern int mcq_print_show (stralloc *reply) ;
extern int mcq_print_status (stralloc *reply) ;

/* The verbs; argv after "queue" (or after "mailq"). */
extern int mc_queue (int argc, char const *const *argv) ;
extern int mc_mailq (int argc, char const *const *argv) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_IMAPD_H
#define POSTHASTE_IMAPD_H

/* imapd: IMAP before login (imapd/README.md). One client, one process,
 * uid phimap; after a good login the client goes to imap-session
 * (common/handover.h) and this process ends. */

#include <stddef.h>
#include <skalibs/gccattributes.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#include "common/preauth.h"
#include "imapd/imap_parse.h"

#define IMAPD_INBUF 16384           /* = HANDOVER_PENDING_MAX: all of it can be handed over */
#define IMAPD_OUTBUF 4096
#define IMAPD_LITERAL_MAX 8192      /* pre-auth literals: user names, passwords, SASL */
#define IMAPD_SASL_LINE_MAX 16384   /* an AUTHENTICATE continuation line */
#define IMAPD_WRITE_SECS 60

typedef struct imapd_s imapd, *imapd_ref ;
struct imapd_s
{
  preauth p ;                  /* the connection, the limits, the counters (common/preauth.h) */
  buffer in ;
  buffer out ;
  imap_reader rd ;
  tain idle ;                  /* PH_IMAP_PREAUTH_TIMEOUT */
  tain deadline ;              /* for the next input */
} ;

/* ---- output (imapd_io.c): every write is bounded by IMAPD_WRITE_SECS;
 * a client that does not read is dropped (exit 99). ---- */
extern void imapd_put (imapd *, char const *s, size_t len) ;
extern void imapd_puts (imapd *, char const *s) ;
/* "<tag> <text>\r\n" and "* <text>\r\n" */
extern void imapd_tagged (imapd *, char const *tag, char const *text) ;
extern void imapd_untagged (imapd *, char const *text) ;
/* Ends the session after "* BYE <text>": exit code e. */
extern void imapd_bye (imapd *, char const *text, int e) gccattr_noreturn ;

/* ---- input (imapd_io.c) ---- */
/* Waits for more client bytes until d->deadline. Returns 1, or 0 at EOF;
 * a timeout ends the session (BYE, exit 99). */
extern int imapd_fill (imapd *) ;
/* Restarts the idle deadline (after each command). */
extern void imapd_touch (imapd *) ;
/* Reads one line (an AUTHENTICATE response) into buf (max bytes, NUL-
 * terminated, CRLF removed). Returns 1, 0 when too long (the line was
 * skipped), -1 at EOF. */
extern int imapd_getline (imapd *, char *buf, size_t max, size_t *len) ;

/* ---- commands (imapd_cmd.c) ---- */
/* Handles the command assembled in d->rd.cmd. */
extern void imapd_command (imapd *) ;
/* Answers BAD (tag or "*"), logs bad_command, ends the session at the limit. */
extern void imapd_bad (imapd *, char const *tag, char const *name, char const *text) ;
/* Answers "BAD <the cursor's error>" as imapd_bad does. */
extern void imapd_bad_cursor (imapd *, char const *tag, char const *name, imap_cursor const *c) ;
/* The capability list for the current state. */
extern char const *imapd_capability (imapd const *) ;

/* ---- login (imapd_login.c) ---- */
extern void imapd_login (imapd *, char const *tag, imap_cursor *c) ;
extern void imapd_authenticate (imapd *, char const *tag, imap_cursor *c) ;

#endif

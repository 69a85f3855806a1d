/* ISC license. */

#ifndef POSTHASTE_HANDOVER_ACCEPT_H
#define POSTHASTE_HANDOVER_ACCEPT_H

/* The session spawners' common start (imap-session, pop3-session;
 * docs/internals.md, "Handover"): everything between s6-ipcserver
 * starting the program and the protocol's first word.
 *
 *   1. the peer must be root or in PH_SESSION_UIDS (IPCREMOTEEUID);
 *   2. the handover is received (common/handover.h), bounded;
 *   3. service= must be ours (and tag= present when asked for);
 *   4. the ticket is checked with authd -m (common/authmaster.h) for
 *      the handover's rip=: only authd's answer names the account;
 *   5. "K" is answered, the client's fds become 0 and 1 (non-blocking),
 *      and session_start is logged.
 * A refusal at 3 or 4 is answered D (the client's fault: a bad ticket)
 * or Z (ours: authd unreachable), logged as session_refused, and the
 * program exits (1, or 111 for Z). It never returns a failure: what the
 * caller gets is a session to serve. config_load() must have run. */

#include <stdint.h>
#include <skalibs/stralloc.h>

#include "common/authmaster.h"
#include "common/handover.h"

typedef struct handover_service_s handover_service, *handover_service_ref ;
struct handover_service_s
{
  char const *name ;          /* "imap", "pop3": service= and authd's service */
  char const *wrong_text ;    /* the D text when service= is another */
  int need_tag ;              /* tag= required (IMAP: the session sends the tagged OK) */
} ;

typedef struct handover_session_s handover_session, *handover_session_ref ;
struct handover_session_s
{
  handover h ;                /* the fields (handover_session_field) and pending bytes */
  authmaster_user u ;         /* authd's word: user, quota */
  stralloc maildir ;          /* $PH_MAILROOT/<authd's maildir>, NUL-terminated */
  int tls ;                   /* tls=1 was handed over */
} ;
#define HANDOVER_SESSION_ZERO { .h = HANDOVER_ZERO, .maildir = STRALLOC_ZERO, .tls = 0 }

/* Steps 1 to 5 above, on the s6-ipcserver socket (fds 0/1). Exits on
 * any failure (100 config, 111 temporary, 99 timeout, 1 refused). */
extern void handover_accept (handover_service const *service, handover_session *s) ;

/* The value of a handover field, "" when absent: for logs and
 * protocol details (tag=, rip=), never for an authorization. */
extern char const *handover_session_field (handover_session const *s, char const *key) ;

#endif

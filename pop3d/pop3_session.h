/* ISC license. */

#ifndef POSTHASTE_POP3_SESSION_H
#define POSTHASTE_POP3_SESSION_H

/* pop3-session: the TRANSACTION and UPDATE states (RFC 1939 §5, §6) on
 * a snapshot of the INBOX taken at login (pop3d/README.md). */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/gccattributes.h>

#include "common/mbox.h"
#include "pop3d/pop3_cmd.h"
#include "pop3d/pop3_io.h"

#define POP3_MARK_DELETED 0x01     /* DELE: expunged at QUIT */
#define POP3_MARK_RETRIEVED 0x02   /* RETR: \Seen at the end, as Dovecot does */

#define POP3_UIDL_LEN 16           /* %08Xu%08Xv */
#define POP3_LOCK_FILE "posthaste-pop3.lock"

typedef struct pop3_session_s pop3_session, *pop3_session_ref ;
struct pop3_session_s
{
  pop3_io io ;
  mbox box ;                 /* opened at login, never synced until the end: the snapshot */
  char const *user ;
  char const *maildir ;      /* absolute */
  char const *rip ;
  char const *session ;      /* pop3d's session id */
  size_t n ;                 /* messages in the snapshot */
  unsigned char *mark ;      /* n marks, POP3_MARK_* */
  uint64_t total ;           /* octets of the snapshot (CRLF form) */
  unsigned int bad ;
  unsigned int maxbad ;      /* PH_POP3_MAX_BAD */
  int lockfd ;               /* the POP3 lock, held to the end */
  unsigned int retr ;        /* counters for the logout line */
  unsigned int top ;
  uint64_t bytes ;
  unsigned int ended : 1 ;   /* the marks were applied (or dropped) */
} ;

/* Writes the UIDL of (uid, uidvalidity) into out (POP3_UIDL_LEN bytes,
 * no NUL): Dovecot's default pop3_uidl_format, %08Xu%08Xv, as Dovecot
 * expands it: eight lower-case hex digits of the UID, then eight of the
 * UIDVALIDITY. */
extern void pop3_uidl_fmt (char *out, uint32_t uid, uint32_t uidvalidity) ;

/* Takes the per-Maildir POP3 lock (flock on POP3_LOCK_FILE in the
 * Maildir root; released when the process ends). Returns the fd, or -1
 * with errno EWOULDBLOCK when another POP3 session holds it. */
extern int pop3_session_lock (char const *maildir) ;

/* Sends message i (all of it when lines < 0, else TOP's headers and
 * lines body lines) with CRLF line ends and dot-stuffing (RFC 1939
 * §3), after the "+OK" the caller sent, and the final ".". Returns the
 * octets sent, or -1 if the file could not be opened (errno; nothing
 * sent). A read error half-way ends the session. */
extern int64_t pop3_session_send (pop3_session *, size_t i, int64_t lines) ;

/* The commands of the TRANSACTION state; returns only when the session
 * goes on. QUIT enters the UPDATE state and exits. */
extern void pop3_session_command (pop3_session *, char const *line, size_t len) ;

/* Answers "-ERR <text>", logs bad_command, ends the session (without
 * UPDATE) at PH_POP3_MAX_BAD. */
extern void pop3_session_bad (pop3_session *, char const *name, char const *text) ;

/* UPDATE (RFC 1939 §6): under the uidlist lock, \Seen on the retrieved
 * messages and, when expunge, the deleted ones removed. Returns 1, or 0
 * when something could not be done (errno). Runs once. */
extern int pop3_session_update (pop3_session *, int expunge) ;

/* Logs event=logout with the session's counters; deleted= counts the
 * marks only when applied (QUIT). */
extern void pop3_session_logout_line (pop3_session *, char const *how, int applied) ;

/* Runs the session on fds 0/1: lock, open, "+OK", commands. Never
 * returns. */
extern void pop3_session_run (pop3_session *, char const *pending, size_t pendinglen) gccattr_noreturn ;

#endif

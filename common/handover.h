/* ISC license. */

#ifndef POSTHASTE_HANDOVER_H
#define POSTHASTE_HANDOVER_H

/* The handover of a logged-in client from the pre-auth program (imapd,
 * pop3d) to its session spawner (imap-session, pop3-session), over
 * $PH_RUN_DIR/<service>-session.sock (docs/internals.md, "Handover").
 *
 * One skalibs unixmessage, pre-auth -> session:
 *   fds  = { client read fd, client write fd }
 *   body = text0 fields "key=value\0" (service= first, ticket= required),
 *          then an empty field (a lone "\0"),
 *          then the client bytes read but not yet processed (≤ 16 KiB).
 * Then raw bytes, session -> pre-auth, and the socket is closed:
 *   "K"        accepted: the session serves the client from now on;
 *   "Z<text>"  temporary failure (IMAP "NO [UNAVAILABLE]");
 *   "D<text>"  refused (IMAP "NO [AUTHENTICATIONFAILED]").
 * The session believes nothing in the fields but the ticket, which it
 * checks with authd (common/authmaster.h). */

#include <stddef.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#define HANDOVER_BODY_MAX 65536        /* the whole body */
#define HANDOVER_PENDING_MAX 16384     /* pending client bytes */
#define HANDOVER_FIELDS_MAX 64
#define HANDOVER_ANSWER_MAX 512        /* a Z/D text */
#define HANDOVER_TIMEOUT 10            /* seconds, each side */

/* ---- pre-auth side ---- */

/* Appends the field "key=value\0" to sa. key: [A-Za-z0-9_]+; value: no
 * NUL (a C string), no CR or LF. Returns 1, or 0 (errno EINVAL, ENOMEM). */
extern int handover_field (stralloc *sa, char const *key, char const *value) ;

/* Connects to path, sends fds rfd and wfd with fields[0..fieldslen)
 * (made with handover_field, service= first), the end mark, and
 * pending[0..pendinglen), and reads the answer. Returns 'K', or 'Z' or
 * 'D' with the text (NUL-terminated, control bytes removed, at most
 * textmax - 1 bytes) in text; or 0 with errno: ENOENT/ECONNREFUSED (no
 * spawner), ETIMEDOUT, EMSGSIZE (too much pending), EPROTO (a malformed
 * answer), EPIPE (the spawner closed without answering). Every failure
 * is temporary from the client's point of view. */
extern int handover_send (char const *path, int rfd, int wfd, char const *fields, size_t fieldslen, char const *pending, size_t pendinglen, char *text, size_t textmax, tain const *deadline) ;

/* ---- session side ---- */

typedef struct handover_s handover, *handover_ref ;
struct handover_s
{
  stralloc body ;          /* the message body, as received */
  size_t fieldslen ;       /* body.s[0..fieldslen) are the fields (without the end mark) */
  char const *pending ;    /* into body.s */
  size_t pendinglen ;
  int fd[2] ;              /* client read fd, client write fd; -1 when none */
} ;
#define HANDOVER_ZERO { .body = STRALLOC_ZERO, .fieldslen = 0, .pending = 0, .pendinglen = 0, .fd = { -1, -1 } }

/* Is IPCREMOTEEUID (s6-ipcserverd's SO_PEERCRED) root or in list (the
 * comma-separated uids, may be 0)? 1 yes, 0 no, -1 list malformed. */
extern int handover_peer_ok (char const *list) ;

/* Receives the handover on fd (the s6-ipcserver socket). Returns 1 with
 * *h filled (two fds, body parsed); 0 with errno: EPIPE (closed first),
 * ETIMEDOUT, EPROTO (not exactly two fds, or a malformed body),
 * EMSGSIZE. On failure no fd is left open. */
extern int handover_receive (int fd, handover *h, tain const *deadline) ;

/* Checks a body: fields as described above, the end mark, at most
 * HANDOVER_PENDING_MAX bytes after it. Returns 1 with *fieldslen, or 0
 * (errno EPROTO / EMSGSIZE). No I/O: tests/fuzz/handover_parse.c. */
extern int handover_parse (char const *s, size_t len, size_t *fieldslen) ;

/* The value of field key, or 0 when absent. */
extern char const *handover_get (handover const *h, char const *key) ;

/* Answers on fd: code 'K', 'Z' or 'D', and text for Z/D (may be 0).
 * Returns 1, or 0 with errno. */
extern int handover_answer (int fd, char code, char const *text, tain const *deadline) ;

/* ---- both sides ---- */

/* Waits until fd can be written (forwrite) or read, or deadline.
 * Returns 1, or 0 with errno (ETIMEDOUT, or iopause's). The socket
 * is non-blocking: the caller's read or write may still say EAGAIN. */
extern int handover_wait (int fd, int forwrite, tain const *deadline) ;

/* Closes the fds still held and frees the body. */
extern void handover_free (handover *h) ;

#endif

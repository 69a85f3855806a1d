/* ISC license. */

#ifndef POSTHASTE_IMAP_SESSION_H
#define POSTHASTE_IMAP_SESSION_H

/* The authenticated IMAP session (imap-session, uid vmail): one client,
 * one Maildir, a single-threaded iopause loop (input, inotify for IDLE
 * and for changes made by others, the autologout deadline).
 *
 * Files:
 *   imap_session_main.c   entry: handover, ticket check, then imap_session_run()
 *   imap_session*.c       loop, output, COMPRESS, dispatch, notifications
 *   imap_cmd_*.c          one command (or family) per file, each an imap_cmd_func
 * The FETCH, STORE, SEARCH, SORT and THREAD handlers (imap_cmd_fetch.c,
 * imap_cmd_store.c, imap_cmd_search.c) and the message code they use
 * (imapd/imap_msg.h) are written against this header only. */

#include <stddef.h>
#include <stdint.h>
#include <skalibs/gccattributes.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"

/* What the spawner learnt at login (handover + authd's USER line). */
typedef struct imap_login_s imap_login ;
struct imap_login_s
{
  char const *user ;          /* the address authd vouched for */
  char const *maildir ;       /* absolute path of the Maildir root */
  uint64_t quota ;            /* bytes, 0 = none */
  char const *tag ;           /* tag of LOGIN/AUTHENTICATE: the session sends its tagged OK */
  char const *rip ;
  char const *lip ;
  char const *session_id ;
  int tls ;
  char const *ssl_protocol ;
  char const *ssl_cipher ;
  char const *pending ;       /* client bytes read before the handover */
  size_t pendinglen ;
} ;

#define IMAP_STATE_AUTH 1
#define IMAP_STATE_SELECTED 2
#define IMAP_STATE_LOGOUT 3

#define IMAP_ENABLED_REV2 0x01        /* ENABLE IMAP4rev2 (RFC 9051) */
#define IMAP_ENABLED_UTF8 0x02        /* ENABLE UTF8=ACCEPT (RFC 6855) */
#define IMAP_ENABLED_CONDSTORE 0x04   /* ENABLE CONDSTORE, or implied (RFC 7162 §3.1) */
#define IMAP_ENABLED_QRESYNC 0x08

typedef struct imap_session_s imap_session, *imap_session_ref ;
struct imap_session_s
{
  imap_login const *login ;
  int state ;                 /* IMAP_STATE_* */
  unsigned int enabled ;      /* IMAP_ENABLED_* */
  mbox box ;                  /* the selected mailbox (state SELECTED) */
  unsigned int readonly : 1 ; /* EXAMINE, or the mailbox cannot be written */
  genalloc saved ;            /* uint32_t UIDs, sorted: the SEARCHRES "$" result (RFC 5182) */
  imap_msg msg ;              /* scratch message for FETCH/SEARCH */
  int tzmin ;                 /* local zone for INTERNALDATE */
  uint64_t appendlimit ;      /* APPENDLIMIT (RFC 7889), bytes */
  unsigned int bad_commands ; /* consecutive BADs; at PH_IMAP_MAX_BAD the session ends (logged for banwatch) */
  stralloc out ;              /* scratch for building responses */
} ;

/* Runs the session until LOGOUT, autologout or a broken connection;
 * exits the process (0, 111 on a system error). fds 0/1 are the client
 * (non-blocking). */
extern void imap_session_run (imap_login const *login) gccattr_noreturn ;

/* A command handler: the cursor is after "tag SP name"; uid is set for
 * "UID name". Writes every untagged response and the tagged completion
 * itself. Returns 1 to go on, 0 to end the session (after flushing). */
typedef int imap_cmd_func (imap_session *s, imap_cursor *c, char const *tag, int uid) ;

extern imap_cmd_func imap_cmd_fetch ;    /* FETCH, UID FETCH */
extern imap_cmd_func imap_cmd_store ;    /* STORE, UID STORE (CONDSTORE UNCHANGEDSINCE, MODIFIED) */
extern imap_cmd_func imap_cmd_search ;   /* SEARCH, UID SEARCH, ESEARCH returns, SEARCHRES */
extern imap_cmd_func imap_cmd_sort ;     /* SORT, UID SORT */
extern imap_cmd_func imap_cmd_thread ;   /* THREAD, UID THREAD */

/* ---- output (all responses go through these: COMPRESS may be on) ---- */

/* Queues bytes for the client. Returns 1, or 0 when the connection is
 * gone (the handler then returns 0). */
extern int imap_out (imap_session *s, char const *p, size_t len) ;
extern int imap_outs (imap_session *s, char const *p) ;
/* "<tag> <text>\r\n", e.g. imap_tagged(s, tag, "OK [READ-WRITE] SELECT completed") */
extern int imap_tagged (imap_session *s, char const *tag, char const *text) ;
/* "* <text>\r\n" */
extern int imap_untagged (imap_session *s, char const *text) ;

/* Syncs the selected mailbox and sends what changed: EXISTS, RECENT (not
 * with IMAP4rev2), FETCH FLAGS (with MODSEQ under CONDSTORE) for flag
 * changes made by others, and, when allow_expunge, EXPUNGE (or VANISHED
 * under QRESYNC) — RFC 9051 §7.4.1 forbids expunges during FETCH, STORE
 * and SEARCH by sequence number. Returns 1 or 0 (connection gone). */
extern int imap_session_notify (imap_session *s, int allow_expunge) ;

/* Keyword names of the selected mailbox, for imap_fetch_ctx and
 * imap_search_ctx. */
extern char const *const *imap_session_keywords (imap_session *s, unsigned int *n) ;

#endif

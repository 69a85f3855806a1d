/* ISC license. */

#ifndef POSTHASTE_IMAP_SESSION_INTERNAL_H
#define POSTHASTE_IMAP_SESSION_INTERNAL_H

/* What imap_session.h does not show: the connection (input staging,
 * output queue, COMPRESS streams), the inotify watches, the IDLE state
 * and the command handlers of this side. One process serves one client,
 * so this lives in one global, imap_sio. */

#include <stddef.h>
#include <stdint.h>
/* zlib and skalibs both name a type free_func */
#define free_func zlib_free_func
#include <zlib.h>
#undef free_func
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include <skalibs/tai.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_session.h"

#define IMAP_SIO_READ_CHUNK 16384     /* one read(2) from the client */
#define IMAP_SIO_INQ_LOW 65536        /* read or inflate more only below this much staged input */
#define IMAP_SIO_OUT_HIGH 65536       /* queued response bytes that trigger a write */
#define IMAP_SIO_BUFSIZE 16384        /* the reader's buffer */
#define IMAP_WRITE_TIMEOUT 120        /* seconds a client may take to accept our output */
#define IMAP_IDLE_TIMEOUT_DEFAULT 1800    /* RFC 9051 §5.4: at least 30 minutes */
#define IMAP_MAX_BAD_DEFAULT 20
#define IMAP_IDLE_RECHECK_MS 1100     /* after a change seen in IDLE, look again once: mbox_sync cannot trust same-second mtimes */
#define IMAP_IDLE_POLL 60             /* seconds between IDLE syncs when inotify stays silent */
#define IMAP_ID_PAIRS_MAX 30          /* RFC 2971 §3.3 */
#define IMAP_FAST_SYNC_SECS 1         /* FETCH, STORE, SEARCH, SORT, THREAD look at the folder at most this often */

typedef struct imap_sio_s imap_sio_t ;
struct imap_sio_s
{
  imap_session *s ;
  /* input: raw bytes from fd 0, inflated under COMPRESS, staged in inq,
   * handed to the reader's buffer by a custom iov_func */
  stralloc raw ;
  size_t rawpos ;
  stralloc inq ;
  size_t inpos ;
  unsigned int ineof : 1 ;
  buffer b ;
  char bbuf[IMAP_SIO_BUFSIZE] ;
  imap_reader rd ;
  /* output: plain responses, then (deflated) wire bytes */
  stralloc plain ;
  stralloc wire ;
  unsigned int dead : 1 ;
  unsigned int compress : 1 ;
  z_stream zin ;
  z_stream zout ;
  /* inotify */
  int ifd ;
  int wd_root ;
  int wd_box[3] ;
  unsigned int dirty : 1 ;
  /* IDLE */
  unsigned int idling : 1 ;
  stralloc idletag ;
  tain recheck ;            /* when to sync again in IDLE (TAIN_INFINITE if none) */
  /* settings */
  unsigned int idle_timeout ;
  unsigned int max_bad ;
  int rootfd ;              /* the Maildir root, for maildirsize */
  /* scratch */
  stralloc nout ;           /* imap_session_notify's response text */
  stralloc name ;           /* mailbox names */
  stralloc tmp ;
  genalloc kwptr ;          /* char const *: imap_session_keywords */
  unsigned int recent_sent ;
  tain fullsync_due ;       /* before this, the fast commands do not sync (imap_session_notify_fast) */
} ;

extern imap_sio_t imap_sio ;

/* ---- connection (imap_session_io.c, imap_session_out.c, imap_session_compress.c) ---- */

extern iov_func imap_sio_readop ;
extern int imap_sio_read (void) ;          /* one read from fd 0 into raw/inq; 1, 0 on EOF/error (ineof set), -1 nothing yet */
extern int imap_sio_stage (void) ;         /* raw → inq (inflating); 1, 0 on a bad compressed stream */
extern size_t imap_sio_buffered (void) ;   /* client bytes read but not yet given to the reader */
extern int imap_sio_flush (void) ;         /* everything queued onto the wire, within IMAP_WRITE_TIMEOUT; 1 or 0 (dead) */
extern int imap_sio_compress_start (void) ;
extern int imap_sio_deflate (char const *s, size_t len, int flush) ;
extern int imap_sio_inflate (void) ;

/* ---- inotify (imap_session_watch.c) ---- */

extern void imap_sio_watch_init (char const *root) ;
extern void imap_sio_watch_box (char const *root, char const *folder) ;   /* folder 0: unwatch */
extern void imap_sio_watch_drain (void) ;   /* reads pending events, sets dirty */

/* ---- helpers for handlers (imap_session_util.c and friends) ---- */

extern int imap_bad (imap_session *s, char const *tag, imap_cursor const *c) ;   /* "tag BAD <c->error>" */
extern int imap_done (imap_session *s, char const *tag, char const *text) ;       /* notify (expunges allowed), then tagged */
extern int imap_tagged2 (imap_session *s, char const *tag, char const *a, char const *b) ;
extern char const *imap_capability (imap_session const *s) ;    /* "IMAP4rev1 IMAP4rev2 ..." */
extern int imap_sess_rev2 (imap_session const *s) ;

/* Client mailbox name (as imap_mailbox gave it, NUL-terminated) to its
 * on-disk form in sa (NUL-terminated, copied). Returns 1, or 0 when the
 * name is not valid in the client's encoding or on disk. */
extern int imap_name_in (imap_session const *s, char const *client, stralloc *sa) ;
/* Appends the client form of the on-disk name as an IMAP string. */
extern int imap_name_out (imap_session const *s, char const *disk, stralloc *sa) ;

/* "(\Seen \Answered kw ...)" for message i of the selected mailbox. */
extern int imap_fmt_msgflags (imap_session const *s, stralloc *sa, size_t i) ;
/* "(\Answered \Flagged \Deleted \Seen \Draft kw ... [\*])" */
extern int imap_fmt_boxflags (imap_session const *s, stralloc *sa, int permanent) ;
/* Compact set text from sorted UIDs / ranges. */
extern int imap_fmt_uids (stralloc *sa, uint32_t const *uids, size_t n) ;
extern int imap_fmt_u64 (stralloc *sa, uint64_t n) ;

/* The messages a sequence set names, as sorted distinct indexes of the
 * selected mailbox (size_t) appended to idx. Returns 1, or 0 when a
 * sequence number is out of range (RFC 9051 §9: BAD). */
extern int imap_resolve_set (imap_session const *s, imap_seqset const *set, int uid, genalloc *idx) ;

/* The last full sync was now: the fast commands wait IMAP_FAST_SYNC_SECS. */
extern void imap_session_synced (void) ;

/* Sends EXPUNGE/VANISHED, EXISTS, RECENT, FLAGS, FETCH for ch. */
extern int imap_report_changes (imap_session *s, mbox_changes const *ch) ;

/* Leaves the selected mailbox (no expunge). */
extern void imap_deselect (imap_session *s) ;

extern void imap_log_event (imap_session const *s, char const *event, char const *k, char const *v) ;

/* Starts the program again with glibc's malloc tcache off unless the
 * environment already says (imap_session_tunables.c). */
extern void imap_session_malloc_tunables (char const *const *argv) ;

/* Runs one assembled command (imap_session_dispatch.c); 1 go on, 0 end. */
extern int imap_dispatch (imap_session *s, char const *cmd, size_t len) ;
/* A line received while idling (imap_cmd_idle.c). */
extern int imap_idle_line (imap_session *s, char const *cmd, size_t len) ;
extern int imap_idle_wake (imap_session *s) ;

/* Would bytes/count more fit in the account's quota? 1 yes, 0 no, -1
 * cannot tell (errno). (imap_cmd_append.c) */
extern int imap_quota_fits (imap_session *s, uint64_t bytes, uint64_t count) ;

/* ---- handlers of this side ---- */

extern imap_cmd_func imap_cmd_capability ;
extern imap_cmd_func imap_cmd_noop ;        /* NOOP, CHECK */
extern imap_cmd_func imap_cmd_logout ;
extern imap_cmd_func imap_cmd_enable ;
extern imap_cmd_func imap_cmd_id ;
extern imap_cmd_func imap_cmd_namespace ;
extern imap_cmd_func imap_cmd_select ;      /* SELECT */
extern imap_cmd_func imap_cmd_examine ;
extern imap_cmd_func imap_cmd_close ;
extern imap_cmd_func imap_cmd_unselect ;
extern imap_cmd_func imap_cmd_expunge ;     /* EXPUNGE, UID EXPUNGE */
extern imap_cmd_func imap_cmd_list ;
extern imap_cmd_func imap_cmd_lsub ;
extern imap_cmd_func imap_cmd_status ;
extern imap_cmd_func imap_cmd_create ;
extern imap_cmd_func imap_cmd_delete ;
extern imap_cmd_func imap_cmd_rename ;
extern imap_cmd_func imap_cmd_subscribe ;
extern imap_cmd_func imap_cmd_unsubscribe ;
extern imap_cmd_func imap_cmd_append ;
extern imap_cmd_func imap_cmd_copy ;
extern imap_cmd_func imap_cmd_move ;
extern imap_cmd_func imap_cmd_getquota ;
extern imap_cmd_func imap_cmd_getquotaroot ;
extern imap_cmd_func imap_cmd_setquota ;
extern imap_cmd_func imap_cmd_idle ;
extern imap_cmd_func imap_cmd_compress ;

/* STATUS items of one mailbox, "(MESSAGES 3 ...)" appended to sa. Returns
 * 1, or 0 with errno (ENOENT: no such mailbox). */
extern int imap_status_fmt (imap_session *s, char const *disk, unsigned int items, stralloc *sa) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_MBOX_H
#define POSTHASTE_MBOX_H

/* Maildir++ folders as IMAP/POP3 mailboxes, laid out and indexed as
 * Dovecot does (docs/mailstore.md): UIDs in dovecot-uidlist (version 3),
 * flags in the file name (":2,DFRST" plus keyword letters a-z),
 * keywords in dovecot-keywords, folders as ".Name" directories with a
 * maildirfolder file, names in modified UTF-7 (RFC 3501 §5.1.3) with '.'
 * as hierarchy delimiter, subscriptions in "subscriptions"; and
 * posthaste's own posthaste-modseq for CONDSTORE/QRESYNC.
 *
 * The UID lock is Dovecot's: dovecot-uidlist.lock, created O_EXCL, the
 * new uidlist written into it and renamed over dovecot-uidlist; a stale
 * lock (older than 2 minutes, Dovecot's default) is broken. Everything
 * that changes an index file holds it, so several sessions, pop3, and
 * even a Dovecot on the same Maildir stay consistent. UIDNEXT never goes
 * back; UIDVALIDITY never changes for an existing uidlist.
 *
 * Every function returns 1 on success, 0 on error with errno set
 * (ENOENT: no such folder; EEXIST; ENAMETOOLONG; EINVAL: bad name;
 * ENOSPC/EDQUOT; ETIMEDOUT: could not get the lock in 10 s; EPROTO: an
 * index file that does not parse, which is then rebuilt, not trusted);
 * -1 where noted. Nothing is acknowledged before it is on disk:
 * appends and copies fsync the file and the directory. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

/* System flags, the same bits as imapd/imap_parse.h IMAP_FLAG_* (Recent
 * is per session and never stored). */
#define MBOX_SEEN 0x01
#define MBOX_ANSWERED 0x02
#define MBOX_FLAGGED 0x04
#define MBOX_DELETED 0x08
#define MBOX_DRAFT 0x10

#define MBOX_KEYWORDS_MAX 26       /* letters a..z in the file name */

typedef struct mbox_msg_s mbox_msg, *mbox_msg_ref ;
struct mbox_msg_s
{
  uint32_t uid ;
  uint32_t flags ;          /* MBOX_* */
  uint32_t keywords ;       /* bit i: keyword i of the folder (mbox.keywords) */
  uint64_t modseq ;         /* RFC 7162, ≥ 1 */
  uint64_t size ;           /* RFC822.SIZE: octets with CRLF line ends (",W=" in the name, or the uidlist's W, or counted once) */
  uint64_t fsize ;          /* octets on disk (",S=" or stat) */
  int64_t internaldate ;    /* the file's mtime, as Dovecot's Maildir */
  size_t name ;             /* offset in mbox.names: "cur/<file name>" or "new/<file name>", NUL-terminated */
  size_t guid ;             /* offset in mbox.names: the message's GUID for POP3 UIDL and "G" lines, "" if none */
  unsigned int recent : 1 ; /* this session is the first to see it (RFC 3501 \Recent) */
  size_t pop3uidl ;         /* offset in mbox.names: the POP3 UIDL stored in the uidlist record (Dovecot's "P" extension, written by migration tools), "" if none */
} ;

typedef struct mbox_s mbox, *mbox_ref ;
struct mbox_s
{
  int dirfd ;               /* the folder's directory (Maildir root for INBOX) */
  int rootfd ;              /* the Maildir root */
  unsigned int readonly : 1 ;   /* EXAMINE: no flag change, \Recent not claimed */
  uint32_t uidvalidity ;
  uint32_t uidnext ;
  uint64_t highestmodseq ;
  genalloc msgs ;           /* mbox_msg in UID order; index i is sequence number i+1 */
  stralloc names ;
  stralloc keywords ;       /* the folder's keywords, nkeywords NUL-terminated names, index = letter */
  unsigned int nkeywords ;
  stralloc folder ;         /* the folder's name as given to mbox_open ("INBOX", "Sent", "a.b"), NUL-terminated */
  uint64_t synced_mtime_new ;   /* private: what mbox_sync last saw */
  uint64_t synced_mtime_cur ;
  uint64_t synced_uidlist ;
  struct mbox_priv_s *priv ;    /* private (common/mbox-internal.h): cached index state; zero in MBOX_ZERO */
} ;
#define MBOX_ZERO { .dirfd = -1, .rootfd = -1, .readonly = 0, .msgs = GENALLOC_ZERO, .names = STRALLOC_ZERO, .keywords = STRALLOC_ZERO, .nkeywords = 0, .folder = STRALLOC_ZERO }

#define mbox_count(m) genalloc_len(mbox_msg, &(m)->msgs)
#define mbox_at(m, i) (genalloc_s(mbox_msg, &(m)->msgs) + (i))
#define mbox_name(m, i) ((m)->names.s + mbox_at(m, i)->name)

/* Opens a folder of the Maildir at root: "INBOX" (any case) is the root
 * itself, anything else is the folder "<root>/.<name>" where name is
 * the on-disk (modified UTF-7, '.'-separated) form. Reads the indexes,
 * scans new/ and cur/, assigns UIDs to new files (moving them from new/
 * to cur/ unless readonly), marks \Recent those it is first to see.
 * flags: MBOX_OPEN_READONLY; MBOX_OPEN_NOSCAN (only uidvalidity,
 * uidnext, highestmodseq: for STATUS, APPEND/COPY targets). */
#define MBOX_OPEN_READONLY 0x01
#define MBOX_OPEN_NOSCAN 0x02
extern int mbox_open (mbox *m, char const *root, char const *folder, unsigned int flags) ;
extern void mbox_close (mbox *m) ;

/* What changed since the last open/sync, for the session's untagged
 * responses. */
typedef struct mbox_changes_s mbox_changes, *mbox_changes_ref ;
struct mbox_changes_s
{
  genalloc expunged_seq ;   /* uint32_t: old sequence numbers, descending, so "* n EXPUNGE" can be sent in this order */
  genalloc expunged_uid ;   /* uint32_t: their UIDs, ascending (VANISHED) */
  genalloc changed ;        /* uint32_t: current indexes whose flags, keywords or modseq changed (by anyone else) */
  size_t added ;            /* new messages now at the end of msgs */
  unsigned int keywords_changed : 1 ;   /* new keyword names: send FLAGS and PERMANENTFLAGS again */
} ;
#define MBOX_CHANGES_ZERO { .expunged_seq = GENALLOC_ZERO, .expunged_uid = GENALLOC_ZERO, .changed = GENALLOC_ZERO, .added = 0, .keywords_changed = 0 }
extern void mbox_changes_free (mbox_changes *) ;

/* Rescans when new/, cur/ or the uidlist changed (cheap otherwise: a
 * few fstats). Applies the changes to m->msgs and reports them in ch
 * (cleared first). */
extern int mbox_sync (mbox *m, mbox_changes *ch) ;

/* Sets the flags and keywords of message i (rename in cur/), gives it a
 * new modseq (returned in *modseq), records it in posthaste-modseq. A
 * file another process renamed meanwhile is found again by its base
 * name; one that vanished gives ENOENT (expunged elsewhere: sync). */
extern int mbox_store (mbox *m, size_t i, uint32_t flags, uint32_t keywords, uint64_t *modseq) ;

/* Keyword index of name (case-insensitive, RFC 9051 flag-keyword),
 * adding it to dovecot-keywords if create and there is room.
 * Returns 0..25, or -1 (not found / table full: errno ENOSPC). */
extern int mbox_keyword (mbox *m, char const *name, int create) ;

/* Removes messages: every message with \Deleted (uidset 0), or those
 * with \Deleted whose UID is in the sorted array uids (UID EXPUNGE,
 * RFC 4315), or the given UIDs regardless of flags (MOVE:
 * MBOX_EXPUNGE_FORCE). The expunges are recorded with a new modseq
 * (QRESYNC VANISHED) and reported in ch like a sync. */
#define MBOX_EXPUNGE_FORCE 0x01
extern int mbox_expunge (mbox *m, uint32_t const *uids, size_t nuids, unsigned int flags, mbox_changes *ch) ;

/* Appends a message to the folder at root/folder (not necessarily
 * open): data in CRLF or LF form (stored with LF, as deliverd does),
 * with flags, keywords (nkw NUL-terminated names in kw) and internal
 * date (-1: now). Writes tmp/, fsyncs, links into cur/, fsyncs cur/,
 * then assigns the UID under the lock. *uid and *uidvalidity for
 * APPENDUID (RFC 4315). */
extern int mbox_append (char const *root, char const *folder, char const *data, size_t len, uint32_t flags, char const *kw, unsigned int nkw, int64_t internaldate, uint32_t *uidvalidity, uint32_t *uid) ;

/* Copies messages idx[0..n) of src into root/folder (hard links when
 * possible, else copies), keeping flags, keywords and internal date;
 * new UIDs in newuids[] (same order), *uidvalidity of the target, for
 * COPYUID. All or nothing: on failure no copy remains. */
extern int mbox_copy (mbox *src, size_t const *idx, size_t n, char const *root, char const *folder, uint32_t *uidvalidity, uint32_t *newuids) ;

/* Opens message i's file read-only (for FETCH / RETR). Returns the fd or
 * -1 (ENOENT after a rename elsewhere is retried once by base name). */
extern int mbox_open_msg (mbox *m, size_t i) ;

/* Modifications since modseq for QRESYNC (RFC 7162 §3.2.5): UIDs
 * expunged after modseq, ascending, into out (uint32_t). Returns 1, or
 * 0 when the history does not reach that far back (the caller then
 * reports every UID in the known-uids range that is not present). */
extern int mbox_vanished_since (mbox *m, uint64_t modseq, genalloc *out) ;

/* ---- message headers, cached (posthaste-cache, docs/mailstore.md) ---- */

#define MBOX_HEADER_MAX (256U << 10)        /* a longer header block: E2BIG */
#define MBOX_CACHE_HEADER_MAX (32U << 10)   /* longer ones are served, not cached */

/* The top-level header block of message i, as IMAP sees it: CRLF line
 * ends, up to and including the empty line that ends it (the whole
 * message when there is none). From the folder's posthaste-cache when
 * it holds the message, else read from the file and added to the cache.
 * *h stays valid until the next mbox_header, mbox_cache_release,
 * mbox_sync or mbox_close on m. Returns 1, or 0 with errno (ENOENT:
 * expunged elsewhere; E2BIG: the header is longer than MBOX_HEADER_MAX,
 * read the message instead). */
extern int mbox_header (mbox *m, size_t i, char const **h, size_t *hlen) ;
/* Writes out what mbox_header learnt and lets go of the cache's memory
 * and mapping: a session calls it when a command is done. */
extern void mbox_cache_release (mbox *m) ;

/* Lets go of what an open mailbox keeps only to go faster and can read
 * again (the posthaste-modseq state, the header cache, the file names)
 * and packs the message list (about 20 bytes a message instead of
 * 130): a session about to wait long (IDLE, a quiet client) calls it.
 * Until mbox_resume, m->msgs is EMPTY: nothing may use the mailbox.
 * mbox_resume unpacks it as it was, with each message's current file
 * name. Returns 1, or 0 (errno: the list is back but names could not
 * be found: messages then read as expunged until the next sync, which
 * lists everything again). Both do nothing on a mailbox not packed /
 * not open. */
extern void mbox_idle (mbox *m) ;
extern int mbox_resume (mbox *m) ;

/* ---- folders (the Maildir root) ---- */

#define MBOX_FOLDER_NOSELECT 0x01
#define MBOX_FOLDER_HASCHILDREN 0x02
#define MBOX_FOLDER_HASNOCHILDREN 0x04
#define MBOX_FOLDER_SUBSCRIBED 0x08
#define MBOX_FOLDER_NONEXISTENT 0x10
#define MBOX_USE_ALL 0x0100           /* RFC 6154 special use */
#define MBOX_USE_ARCHIVE 0x0200
#define MBOX_USE_DRAFTS 0x0400
#define MBOX_USE_FLAGGED 0x0800
#define MBOX_USE_JUNK 0x1000
#define MBOX_USE_SENT 0x2000
#define MBOX_USE_TRASH 0x4000

typedef struct mbox_folder_s mbox_folder ;
struct mbox_folder_s
{
  size_t name ;             /* offset in the names stralloc: on-disk form, '.'-separated, "INBOX" for the root */
  unsigned int attrs ;      /* MBOX_FOLDER_* | MBOX_USE_* */
} ;

/* Every folder of the Maildir (INBOX first, then sorted), with
 * attributes and subscription state; subscribed names that do not exist
 * are listed with MBOX_FOLDER_NONEXISTENT. Intermediate hierarchy levels
 * that have no directory get MBOX_FOLDER_NOSELECT. */
extern int mbox_folders (char const *root, genalloc *folders, stralloc *names) ;

extern int mbox_folder_create (char const *root, char const *folder, unsigned int use) ;   /* use: MBOX_USE_* or 0 (RFC 6154 CREATE-SPECIAL-USE) */
extern int mbox_folder_delete (char const *root, char const *folder) ;   /* INBOX: EINVAL; with children: the folder becomes \Noselect, RFC 9051 §6.3.4 */
extern int mbox_folder_rename (char const *root, char const *from, char const *to) ;   /* children too; INBOX moves its messages, RFC 9051 §6.3.5 */
extern int mbox_subscribe (char const *root, char const *folder, int on) ;
/* Creates Drafts, Sent, Junk, Trash, Archive (special use, subscribed)
 * when the Maildir has never been set up (no "subscriptions" file).
 * Creates the Maildir itself if missing. */
extern int mbox_setup_defaults (char const *root) ;
/* Special use of a folder name (configured names, then the defaults). */
extern unsigned int mbox_folder_use (char const *root, char const *folder) ;

/* ---- names: IMAP modified UTF-7 <-> UTF-8 (RFC 3501 §5.1.3) ---- */

extern int mutf7_to_utf8 (stralloc *sa, char const *s, size_t len) ;   /* 0, EINVAL on malformed */
extern int utf8_to_mutf7 (stralloc *sa, char const *s, size_t len) ;
/* Is this a valid on-disk folder name (no "..", no "/", no leading '.', not empty, ≤ 255)? */
extern int mbox_folder_name_valid (char const *folder) ;

#endif

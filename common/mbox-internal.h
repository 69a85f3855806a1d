/* ISC license. */

#ifndef POSTHASTE_MBOX_INTERNAL_H
#define POSTHASTE_MBOX_INTERNAL_H

/* Private to common/mbox*.c: the index files of docs/mailstore.md. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox.h"

#define MBOX_UIDLIST "dovecot-uidlist"
#define MBOX_UIDLIST_LOCK "dovecot-uidlist.lock"
#define MBOX_KEYWORDS "dovecot-keywords"
#define MBOX_KEYWORDS_LOCK "dovecot-keywords.lock"
#define MBOX_MODSEQ "posthaste-modseq"
#define MBOX_MODSEQ_TMP "posthaste-modseq.tmp"
#define MBOX_UIDVALIDITY "dovecot-uidvalidity"
#define MBOX_SUBSCRIPTIONS "subscriptions"
#define MBOX_SPECIAL_USE "posthaste-special-use"
#define MBOX_CACHE "posthaste-cache"
#define MBOX_CACHE_FILE_MAX (64U << 20)   /* the cache stops growing here */
#define MBOX_LOCK_STALE 120          /* seconds: Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT */
#define MBOX_LOCK_WAIT_MS 10000      /* ETIMEDOUT after this */
#define MBOX_FILE_MAX (64U << 20)    /* an index file larger than this is corrupt */
#define MBOX_LINE_MAX 8192           /* one uidlist / modseq / keywords line */
#define MBOX_SCAN_MAX 1000000        /* directory entries read from new/ + cur/ */

/* ---- dovecot-uidlist ---- */

typedef struct mbox_uidrec_s mbox_uidrec ;
struct mbox_uidrec_s
{
  uint32_t uid ;
  size_t base ;       /* offset in ul->sa: base name (up to ':'), NUL-terminated */
  size_t ext ;        /* offset in ul->sa: extension fields we keep verbatim ("" if none), without W and G */
  size_t guid ;       /* offset in ul->sa: G value, "" if none */
  uint64_t vsize ;    /* W, or UINT64_MAX when unknown */
} ;

typedef struct mbox_uidlist_s mbox_uidlist ;
struct mbox_uidlist_s
{
  unsigned int version ;   /* 0: no file */
  uint32_t uidvalidity ;
  uint32_t nextuid ;
  char guid[33] ;          /* mailbox GUID, 32 hex digits, or "" */
  size_t hdrext ;          /* offset in sa: other header fields, verbatim */
  genalloc recs ;          /* mbox_uidrec, ascending UIDs */
  stralloc sa ;
} ;
#define MBOX_UIDLIST_ZERO { .version = 0, .uidvalidity = 0, .nextuid = 1, .guid = "", .hdrext = 0, .recs = GENALLOC_ZERO, .sa = STRALLOC_ZERO }

extern void mbox_uidlist_free (mbox_uidlist *) ;
/* Parses s[0..len) (versions 1, 2 and 3). 1, or 0 with errno (EPROTO). */
extern int mbox_uidlist_parse (mbox_uidlist *ul, char const *s, size_t len) ;
/* Version 3 text. */
extern int mbox_uidlist_format (mbox_uidlist const *ul, stralloc *out) ;
/* Reads dirfd/dovecot-uidlist: 1 (version 0 if missing), 0 on error. */
extern int mbox_uidlist_read (int dirfd, mbox_uidlist *ul) ;
/* Adds a record; uid must be above every existing one. */
extern int mbox_uidlist_add (mbox_uidlist *ul, uint32_t uid, char const *base, size_t baselen, uint64_t vsize) ;
/* Index of the record for uid, or -1. */
extern ssize_t mbox_uidlist_find (mbox_uidlist const *ul, uint32_t uid) ;
/* A fresh UIDVALIDITY from rootfd/dovecot-uidvalidity (hex, Dovecot's
 * counter): max(now, last + 1), written back. */
extern uint32_t mbox_uidvalidity_next (int rootfd) ;
/* Fills a fresh header: version 3, uidvalidity, nextuid 1, random GUID. */
extern void mbox_uidlist_init (mbox_uidlist *ul, int rootfd) ;
/* A random mailbox GUID (a version 1 uidlist has none; version 3 always does). */
extern void mbox_uidlist_new_guid (mbox_uidlist *ul) ;

/* ---- the dotlock (Dovecot's dovecot-uidlist.lock) ---- */

/* Creates dirfd/dovecot-uidlist.lock with O_EXCL, waiting up to
 * MBOX_LOCK_WAIT_MS and breaking a lock older than MBOX_LOCK_STALE.
 * Returns its fd, or -1 (ETIMEDOUT). */
extern int mbox_lock (int dirfd) ;
/* The same dotlock for another file (subscriptions.lock, the special-use file). */
extern int mbox_dotlock (int dirfd, char const *lockname) ;
/* Writes s into the dotlock lockname, fsyncs, renames it to name, fsyncs dirfd; closes lockfd. */
extern int mbox_dotlock_commit (int dirfd, int lockfd, char const *lockname, char const *name, char const *s, size_t len) ;
/* Writes content into the lock file, fsyncs it, renames it over
 * dovecot-uidlist, fsyncs the directory; the lock is released by the
 * rename. 1 or 0. lockfd is closed either way. */
extern int mbox_lock_commit (int dirfd, int lockfd, char const *s, size_t len) ;
/* Releases without writing (unlink, close). */
extern void mbox_unlock (int dirfd, int lockfd) ;
/* Releases: commits ul when dirty, else unlocks. */
extern int mbox_lock_release (int dirfd, int lockfd, mbox_uidlist const *ul, int dirty) ;

/* ---- posthaste-modseq ---- */

typedef struct mbox_msrec_s mbox_msrec ;
struct mbox_msrec_s
{
  uint32_t uid ;
  uint64_t modseq ;
  size_t letters ;         /* offset in ms->sa: the flag letters recorded (after ":2,") */
} ;

typedef struct mbox_msrange_s mbox_msrange ;
struct mbox_msrange_s
{
  uint32_t first ;
  uint32_t last ;
  uint64_t modseq ;
} ;

typedef struct mbox_modseq_s mbox_modseq ;
struct mbox_modseq_s
{
  int present ;            /* the file existed and parsed */
  uint32_t uidvalidity ;
  uint64_t highest ;
  uint64_t floor ;         /* the history of expunges starts after this modseq */
  genalloc recs ;          /* mbox_msrec, ascending UIDs */
  genalloc expunged ;      /* mbox_msrange, in file order */
  size_t lines ;           /* lines in the file: compaction when far above the live count */
  stralloc sa ;
  stralloc pending ;       /* M lines to append at the next write */
  size_t xwritten ;        /* ranges of expunged already in the file */
  int rewrite ;            /* the next write must rewrite the file */
} ;
#define MBOX_MODSEQ_ZERO { .present = 0, .uidvalidity = 0, .highest = 0, .floor = 0, .recs = GENALLOC_ZERO, .expunged = GENALLOC_ZERO, .lines = 0, .sa = STRALLOC_ZERO, .pending = STRALLOC_ZERO, .xwritten = 0, .rewrite = 0 }

extern void mbox_modseq_free (mbox_modseq *) ;
/* 1 parsed; 0 with EPROTO (corrupt: what parsed is kept, rewrite set) */
extern int mbox_modseq_parse (mbox_modseq *ms, char const *s, size_t len) ;
/* 1 (present 0 when missing or corrupt), 0 on error */
extern int mbox_modseq_read (int dirfd, mbox_modseq *ms) ;
extern ssize_t mbox_modseq_find (mbox_modseq const *ms, uint32_t uid) ;
/* Records uid's modseq and letters (replacing any record). */
extern int mbox_modseq_set (mbox_modseq *ms, uint32_t uid, uint64_t modseq, char const *letters) ;
/* Records the expunge of uid (its record goes). */
extern int mbox_modseq_expunge (mbox_modseq *ms, uint32_t uid, uint64_t modseq) ;
/* Appends the pending lines, or rewrites when needed. Under the lock. */
extern int mbox_modseq_write (int dirfd, mbox_modseq *ms) ;
extern int mbox_modseq_format (mbox_modseq const *ms, stralloc *out) ;

/* ---- what an open mbox keeps between calls ---- */

struct mbox_priv_s
{
  mbox_modseq ms ;         /* posthaste-modseq as last read or written */
  int msknown ;            /* ms matches the file of this identity: */
  dev_t msdev ;
  ino_t msino ;
  off_t mssize ;
  int64_t msmtime ;        /* nanoseconds */
  struct mbox_cache_s *cache ;   /* posthaste-cache (mbox_cache.c), 0 until a header is asked for */
  stralloc packed ;        /* mbox_idle: the message list, packed (m->msgs and m->names are then empty) */
  int ispacked ;
} ;

/* Makes m->priv->ms current (re-reads the file if it changed since we
 * last read or wrote it). 1, or 0 on error. */
extern int mbox_priv_load_ms (mbox *m) ;
/* After writing posthaste-modseq: remember its identity. */
extern void mbox_priv_ms_written (mbox *m) ;
extern int mbox_priv_init (mbox *m) ;
/* posthaste-cache: writes what was learnt (compacting when needed),
 * unmaps; frees the whole state. */
extern void mbox_cache_flush (mbox *m) ;
extern void mbox_cache_free (mbox *m) ;
/* Each message's file name, GUID and POP3 UIDL into a new m->names,
 * from the uidlist and a listing (mbox_sync.c). 1, or 0. */
extern int mbox_names_rebuild (mbox *m) ;
extern void mbox_priv_free (mbox *m) ;
/* The modseq a change made now gets: one more than the highest (under the lock). */
extern uint64_t mbox_next_modseq (mbox_modseq const *ms) ;

/* ---- dovecot-keywords ---- */

/* Reads dirfd/dovecot-keywords into names (n NUL-terminated names, index
 * = position; missing indexes are empty names). 1, or 0. */
extern int mbox_keywords_read (int dirfd, stralloc *names, unsigned int *n) ;
extern int mbox_keywords_write (int dirfd, char const *names, unsigned int n) ;
/* Index of name in names (case-insensitive), or -1. */
extern int mbox_keywords_find (char const *names, unsigned int n, char const *name) ;
/* Index of name, adding it to dirfd's file under the uidlist lock if
 * create. -1 and errno ENOSPC / EINVAL / ENOENT when not found. */
extern int mbox_keywords_get (int dirfd, stralloc *names, unsigned int *n, char const *name, int create) ;
/* Is name a valid keyword (RFC 9051 flag-keyword: atom, no '\\')? */
extern int mbox_keyword_valid (char const *name) ;

/* ---- file names ---- */

typedef struct mbox_fname_s mbox_fname ;
struct mbox_fname_s
{
  size_t baselen ;         /* up to ':' */
  uint32_t flags ;
  uint32_t keywords ;
  uint64_t fsize ;         /* ",S=", or UINT64_MAX */
  uint64_t vsize ;         /* ",W=", or UINT64_MAX */
  char const *letters ;    /* after ":2,", or "" */
  size_t letterslen ;
} ;
extern void mbox_fname_parse (char const *name, mbox_fname *f) ;
/* Appends base + ":2," + the letters for flags/keywords, plus the unknown
 * letters of old (the letters of the current name), in ASCII order, and
 * a NUL. */
extern int mbox_fname_make (stralloc *sa, char const *base, size_t baselen, uint32_t flags, uint32_t keywords, char const *old, size_t oldlen) ;
/* Letters for flags/keywords into s (at least 64 bytes), with the
 * unknown letters of old; returns the length. */
extern size_t mbox_letters (char *s, uint32_t flags, uint32_t keywords, char const *old, size_t oldlen) ;
/* Finds in dirfd/sub ("cur" or "new") a file whose base name is
 * base[0..baselen); appends "sub/<name>\0" to sa. 1, 0 not found, -1. */
extern int mbox_find_base (int dirfd, char const *sub, char const *base, size_t baselen, stralloc *sa) ;
/* A new unique base name "<sec>.M<usec>P<pid>Q<n>.<host>" into sa (NUL-terminated). */
extern int mbox_unique_base (stralloc *sa) ;
/* Octets of fd's contents with every LF counted as CRLF (RFC822.SIZE). */
extern int mbox_count_crlf (int fd, uint64_t *vsize) ;

/* ---- helpers ---- */

extern int mbox_slurp (int dirfd, char const *name, stralloc *sa) ;   /* 1 read, 0 error, -1 missing */
/* Writes dirfd/name through tmpname (O_EXCL unless replace), fsync, rename, fsync dirfd. */
extern int mbox_write_file (int dirfd, char const *name, char const *tmpname, char const *s, size_t len) ;
extern int mbox_open_root (char const *root) ;
/* Opens the folder's directory below rootfd ("INBOX" any case: a dup of rootfd). */
extern int mbox_open_folder (int rootfd, char const *folder) ;
extern int mbox_is_inbox (char const *folder) ;
/* Creates a Maildir's cur/new/tmp under dirfd (missing ones), fsyncs. */
extern int mbox_make_dirs (int dirfd) ;
/* The internal sync; clears nothing in ch. */
extern int mbox_sync_internal (mbox *m, mbox_changes *ch, int first) ;
/* Keyword names of src → dst's indexes (creating), bits in/out. Under dst's lock. */
extern int mbox_keywords_map (int dstfd, stralloc *dstnames, unsigned int *dstn, char const *srcnames, unsigned int srcn, uint32_t in, uint32_t *out) ;
/* The default special use of a folder name (Drafts, Sent, ...), or 0. */
extern unsigned int mbox_use_default (char const *folder) ;
/* The use of folder given the special-use file's text s[0..len) (s 0: none). */
extern unsigned int mbox_folder_use_in (char const *s, size_t len, char const *folder) ;
/* Records use for folder (0: removes its line); with to, renames its line instead. */
extern int mbox_special_use_set (int rootfd, char const *folder, unsigned int use, char const *to) ;
/* subscriptions: names (on-disk form, '.'-separated), each NUL-terminated, n of them */
extern int mbox_subscriptions_read (int rootfd, stralloc *names, size_t *n) ;
/* Writes a subscriptions file listing folders[0..n) unless one exists. */
extern int mbox_subscriptions_init (int rootfd, char const *const *folders, size_t n) ;

#endif

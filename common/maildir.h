/* ISC license. */

#ifndef POSTHASTE_MAILDIR_H
#define POSTHASTE_MAILDIR_H

/* Maildir++ delivery (qmail's algorithm, Postfix's unique names, Dovecot's
 * layout; https://cr.yp.to/proto/maildir.html):
 *   1. create tmp/<sec>.M<usec>P<pid>Q<seq>.<host> with O_EXCL,
 *   2. write the prepended header bytes, then the message (pread from
 *      offset 0: the caller's file position is never used or moved),
 *   3. fsync and close the file,
 *   4. rename it to new/<sec>.V<dev>I<ino>M<usec>.<host>,S=<size>
 *      (dev and ino in lower-case hex, from fstat of the tmp file),
 *   5. fsync new/; only then report success.
 * A Maildir is named by a path relative to an open directory (the mail
 * root), "domain/user"; a folder by its Maildir++ name without the leading
 * dot ("Work", "Lists.foo"), "" being INBOX (the Maildir itself). Missing
 * directories are created with mode 0700 and their parents fsynced; the
 * parent of a directory found existing is fsynced too, once per process
 * (another deliverd may have created it and not synced yet); a
 * folder also gets its empty "maildirfolder" file. Message files are 0600.
 * No symlink below the root is ever followed: a Maildir, folder, cur/,
 * new/ or tmp/ (or a domain directory) that is a symlink makes delivery
 * fail with ELOOP, and is no folder for maildir_folder_find. */

#include <stddef.h>
#include <time.h>
#include <sys/time.h>
#include <skalibs/stralloc.h>

#define MAILDIR_PATH_MAX 1024    /* a Maildir path relative to the root */
#define MAILDIR_FOLDER_MAX 255   /* a folder name, one directory entry */
#define MAILDIR_HOST_MAX 128     /* an escaped host name (longer ones are cut) */
#define MAILDIR_TMP_TRIES 3      /* EEXIST on tmp/: fresh names tried */

/* Is s[0..len) a safe relative Maildir path: non-empty, not absolute, no
 * empty, "." or ".." component, no control bytes? A corrupt map must not
 * make us write outside the root. */
extern int maildir_path_valid (char const *s, size_t len) ;

/* Is s[0..len) a valid Maildir++ folder name (without the leading dot):
 * non-empty, no '/', no control bytes, no empty or ".."-like component
 * between dots (so no leading, trailing or doubled '.'), not INBOX? */
extern int maildir_folder_valid (char const *s, size_t len) ;

/* Appends host to *sa escaped for a Maildir file name and NUL-terminates
 * it: '/' becomes \057 and ':' \072 (the Maildir spec, as Dovecot does);
 * ',' (which would confuse ",S=" parsing), '\' and bytes outside printable
 * ASCII become \ooo too. An empty host becomes "localhost"; the result is
 * cut to MAILDIR_HOST_MAX bytes. Returns 1, or 0 (ENOMEM). */
extern int maildir_host_escape (char const *host, stralloc *sa) ;

/* Formats into s (at least MAILDIR_FOLDER_MAX + 1 bytes) the tmp/ file
 * name that the ahead-th next creation attempt of this process would use
 * for this time and escaped host; returns its length, 0 if too long. The
 * tests use it to provoke EEXIST. */
extern size_t maildir_tmpname (char *s, struct timeval const *tv, char const *host, unsigned int ahead) ;

/* Opens the directory path (relative: one or more components) below
 * dirfd without following any symlink and without leaving dirfd:
 * openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or, where the
 * kernel lacks it, one component at a time with O_NOFOLLOW | O_DIRECTORY.
 * Returns an fd (read-only, O_DIRECTORY, close-on-exec) or -1 with errno
 * (ELOOP: a symlink on the way; ENOTDIR; EXDEV: the path would leave
 * dirfd). Every directory below the mail root is opened this way. */
extern int maildir_opendir_beneath (int dirfd, char const *path) ;
/* Tests only: 1 makes maildir_opendir_beneath use the fallback walk. */
extern void maildir_opendir_force_fallback (int) ;

/* Creates what is missing of root/maildir/[.folder/]{cur,new,tmp} (and the
 * folder's maildirfolder file). Returns an fd on the Maildir directory of
 * the folder (O_DIRECTORY, close-on-exec), or -1 with errno. */
extern int maildir_make (int rootfd, char const *maildir, char const *folder) ;
/* maildir_make, and also leaves in *newfd and *tmpfd fds on the folder's
 * new/ and tmp/ (as maildir_opendir_beneath opens them), which a
 * delivery needs next: they are the ones just checked, not opened again. */
extern int maildir_make_open (int rootfd, char const *maildir, char const *folder, int *newfd, int *tmpfd) ;

/* Is s[0..len) the name of a special-use folder (Drafts, Sent, Trash,
 * Junk, ...; whole name, ASCII case ignored)? */
extern int maildir_folder_special_use (char const *s, size_t len) ;

/* Finds the folder a "+tag" names in root/maildir: ".<tag>" if it is an
 * existing directory (not a symlink to one), else the only ".<Name>"
 * directory whose name equals the tag ignoring ASCII case (addresses are
 * lower-cased before lookup, so "+work" must find ".Work"). Returns 1 and
 * appends the folder name (no leading dot) and a NUL to *folder; 0 if
 * there is no such folder, tag is not a valid folder name or names a
 * special-use folder (deliver to INBOX); -1 on error (errno). Whether a
 * tag selects a folder at all is the caller's setting (PH_TAG_TO_FOLDER). */
extern int maildir_folder_find (int rootfd, char const *maildir, char const *tag, stralloc *folder) ;

/* Delivers hdr[0..hdrlen) followed by the contents of msgfd into
 * root/maildir/[.folder/]new/ by the algorithm above. tv is the delivery
 * time (0: read the clock), host the escaped host name. Returns 1 and
 * appends to *where the new file's path relative to the root, NUL-
 * terminated; or 0 with errno, the tmp file removed: every failure is
 * temporary (ENOSPC disk full, EDQUOT/EFBIG mailbox full, EEXIST after
 * MAILDIR_TMP_TRIES names, EINVAL bad maildir or folder name, ...). */
extern int maildir_deliver (int rootfd, char const *maildir, char const *folder, char const *host, char const *hdr, size_t hdrlen, int msgfd, struct timeval const *tv, stralloc *where) ;

/* Duplicate suppression for a sender that may ask again (queued, after
 * a crash lost deliverd's answer; see maildir_deliver_once). The tmp/
 * file of such a delivery is named "<qid>.<16 lower-case hex digits>"
 * (MAILDIR_ONCENAME_MAX bytes at most): the queue id, then the first 8
 * bytes of SHA-256 over key[0..keylen) (the caller's recipient, final
 * address and folder), so the same (message, destination) always gets
 * the same name and another destination practically never does. */
#define MAILDIR_QID_MAX 64
#define MAILDIR_ONCENAME_MAX (MAILDIR_QID_MAX + 17)
#define MAILDIR_ONCE_TRIES 3       /* create / examine rounds on EEXIST */
#define MAILDIR_SWEEP_READ 10000   /* tmp/ entries read by one sweep */
#define MAILDIR_SWEEP_AGAIN 60     /* seconds to the next sweep when that was not enough */
#define MAILDIR_SWEEP_STAMP ".posthaste-sweep"

/* Formats the name into s (MAILDIR_ONCENAME_MAX + 1 bytes), NUL-
 * terminated; returns its length, or 0 if qid is empty, longer than
 * MAILDIR_QID_MAX or not [0-9A-Za-z]. */
extern size_t maildir_oncename (char *s, char const *qid, char const *key, size_t keylen) ;

/* Is s (NUL-terminated) a name of that form? */
extern int maildir_oncename_is (char const *s) ;

/* maildir_deliver, with the deterministic tmp/ name oncename (from
 * maildir_oncename) instead of a unique one, and link() into new/
 * instead of rename(): the tmp/ name stays, a hard link to the
 * delivered file, as the record that this (message, destination) was
 * delivered. Before writing, an existing tmp/<oncename> is examined
 * under its lock (flock, held by the writer from creation to the end):
 * - locked: another process is writing it now: 0, errno EALREADY;
 * - a regular file with 2 or more links and the size this delivery
 *   would write: an earlier attempt published it (the user may have
 *   moved it to cur/ or another folder since: rename keeps the count);
 *   new/ is fsynced (that attempt may have died before it did) and
 *   nothing is written: returns 2, *where gets the Maildir's path
 *   (maildir or maildir/.folder, no file name: it is not known);
 * - anything else (one link: a write that was interrupted): removed,
 *   and the delivery made anew.
 * Returns 1 and appends the new file's path to *where as maildir_deliver
 * does; 0 with errno on failure (nothing left in new/; the tmp name is
 * removed when this process still held its lock). If the user deleted
 * the message (one link left), a later request delivers it again. The
 * tmp/ names are removed by maildir_once_sweep. */
extern int maildir_deliver_once (int rootfd, char const *maildir, char const *folder, char const *host, char const *hdr, size_t hdrlen, int msgfd, struct timeval const *tv, char const *oncename, stralloc *where) ;

/* Removes from root/maildir/[.folder/]tmp/ the entries of the
 * maildir_oncename form last written more than window seconds before
 * now, each under its lock. Bounded: it runs only when the stamp file
 * tmp/MAILDIR_SWEEP_STAMP is older than window / 4 (and then renews
 * it; one process at a time, under the stamp's lock), reads at most
 * MAILDIR_SWEEP_READ entries and, when it stopped there, makes the next
 * sweep due after MAILDIR_SWEEP_AGAIN seconds. Returns the number of
 * names removed, or -1 with errno. */
extern int maildir_once_sweep (int rootfd, char const *maildir, char const *folder, unsigned int window, time_t now) ;

#endif

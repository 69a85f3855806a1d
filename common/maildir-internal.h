/* ISC license. */

#ifndef POSTHASTE_MAILDIR_INTERNAL_H
#define POSTHASTE_MAILDIR_INTERNAL_H

/* The locking rule of the maildir_oncename files in tmp/: the process
 * that creates one holds an exclusive flock on it until it has linked it
 * into new/ (or given up and removed it), and nobody removes such a name
 * without first holding the lock of the file it names and checking that
 * the name still names that file. So while a writer holds its lock, the
 * name is its own, and link(tmp name, new name) publishes its file and no
 * other. A writer that dies drops its lock with its last fd. flock and
 * not POSIX fcntl locks: flock locks belong to the open file, so closing
 * another fd on the same file does not drop them. Examiners open the
 * file O_RDWR (and write nothing): on NFS, flock is emulated with an
 * fcntl lock, whose exclusive form needs a writable fd. */

#include <stdint.h>
#include <sys/stat.h>

/* Takes the lock of fd (open on dirfd/name) without waiting and checks
 * that name still names fd's file; *st gets fd's fstat. Returns 1; 0
 * with errno EALREADY (another process holds it) or ESTALE (the name is
 * gone or names another file; the lock is held, on a file nobody will
 * link); -1 on error. */
extern int maildir_once_lock (int dirfd, char const *name, int fd, struct stat *st) ;

/* Creates tmpfd/name (O_EXCL, mode 0600) and takes its lock, or deals
 * with an existing one as maildir_deliver_once says. Returns 1 with *fd
 * open for writing, locked; 2 if an earlier attempt published a file of
 * size bytes (new/ is fsynced); 0 with errno. */
extern int maildir_once_create (int tmpfd, int newfd, char const *name, uint64_t size, int *fd) ;

#endif

/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"

 /* Dovecot creates a missing Maildir on first delivery; so do we, each
    directory mode 0700, and each parent that gained an entry is fsynced:
    a delivery reported durable must not vanish with a directory that was
    never written to disk.
    Every directory is opened with maildir_opendir_beneath: a symlink
    anywhere below the root is an error (ELOOP), never followed. */

static void close_keep_errno (int fd)
{
  int e = errno ;
  fd_close(fd) ;
  errno = e ;
}

 /* Makes sure each of the n names is a directory in dirfd (created if
    missing, never a symlink) whose entry is on disk, with one fsync of
    dirfd at most. If fds is not 0 the directories' fds are left there,
    else closed. Returns 1, or 0 with errno (nothing left open). */
static int ensure_dirs (int dirfd, char const *const *names, unsigned int n, int *fds)
{
  int opened[3] ;
  int need_sync = 0 ;
  unsigned int i = 0 ;
  for (; i < n ; i++)
  {
    if (!mkdirat(dirfd, names[i], 0700)) need_sync = 1 ;
    else if (errno != EEXIST) goto err ;
    opened[i] = maildir_opendir_beneath(dirfd, names[i]) ;
    if (opened[i] == -1) goto err ;
  }
  if (need_sync && fd_sync(dirfd) == -1) goto err ;
  for (i = 0 ; i < n ; i++)
  {
    if (fds) fds[i] = opened[i] ;
    else fd_close(opened[i]) ;
  }
  return 1 ;

 err:
  while (i--) close_keep_errno(opened[i]) ;
  return 0 ;
}

static int ensure_subdirs (int fd)
{
  static char const *const subdirs[3] = { "cur", "new", "tmp" } ;
  return ensure_dirs(fd, subdirs, 3, 0) ;
}

 /* Goes one directory down, creating it if needed; closes dirfd unless
    it is keep. Returns the new fd or -1. */
static int step (int dirfd, int keep, char const *name)
{
  int fd = -1 ;
  if (!ensure_dirs(dirfd, &name, 1, &fd)) fd = -1 ;
  if (dirfd != keep) close_keep_errno(dirfd) ;
  return fd ;
}

 /* Maildir++: the empty file that tells Dovecot this is a folder; made
    durable like the directories. */
static int ensure_marker (int fd)
{
  int mf = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (mf >= 0)
  {
    fd_close(mf) ;
    return fd_sync(fd) == 0 ;
  }
  return errno == EEXIST ;
}

int maildir_make (int rootfd, char const *maildir, char const *folder)
{
  size_t len = strlen(maildir) ;
  size_t flen = strlen(folder) ;
  char name[MAILDIR_FOLDER_MAX + 2] ;
  int fd = rootfd ;
  size_t start = 0 ;

  if (!maildir_path_valid(maildir, len) || (flen && !maildir_folder_valid(folder, flen)))
    return (errno = EINVAL, -1) ;

  for (size_t i = 0 ; i <= len ; i++)
  {
    if (i < len && maildir[i] != '/') continue ;
    if (i - start > MAILDIR_FOLDER_MAX) { if (fd != rootfd) fd_close(fd) ; return (errno = ENAMETOOLONG, -1) ; }
    memcpy(name, maildir + start, i - start) ;
    name[i - start] = 0 ;
    fd = step(fd, rootfd, name) ;
    if (fd == -1) return -1 ;
    start = i + 1 ;
  }

  if (flen)
  {
     /* the INBOX is the Maildir itself: a folder needs it to exist */
    if (!ensure_subdirs(fd)) goto err ;
    name[0] = '.' ;
    memcpy(name + 1, folder, flen + 1) ;
    fd = step(fd, rootfd, name) ;
    if (fd == -1) return -1 ;
    if (!ensure_marker(fd)) goto err ;
  }

  if (!ensure_subdirs(fd)) goto err ;
  return fd ;

 err:
  close_keep_errno(fd) ;
  return -1 ;
}

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
    never written to disk. */

static int open_dir_at (int dirfd, char const *name)
{
  return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
}

 /* mkdir name in dirfd if missing; sets *created. */
static int ensure_dir (int dirfd, char const *name, int *created)
{
  if (!mkdirat(dirfd, name, 0700)) { *created = 1 ; return 1 ; }
  return errno == EEXIST ;
}

 /* Goes one directory down, creating it if needed. Closes dirfd unless it
    is keep. Returns the new fd or -1. */
static int step (int dirfd, int keep, char const *name)
{
  int created = 0 ;
  int fd = -1 ;
  if (ensure_dir(dirfd, name, &created) && (!created || fd_sync(dirfd) == 0))
    fd = open_dir_at(dirfd, name) ;
  if (dirfd != keep)
  {
    int e = errno ;
    fd_close(dirfd) ;
    errno = e ;
  }
  return fd ;
}

 /* cur, new and tmp in the Maildir (or folder) dirfd. */
static int ensure_subdirs (int fd, int created)
{
  if (!ensure_dir(fd, "cur", &created)
   || !ensure_dir(fd, "new", &created)
   || !ensure_dir(fd, "tmp", &created)) return 0 ;
  return !created || fd_sync(fd) == 0 ;
}

int maildir_make (int rootfd, char const *maildir, char const *folder)
{
  size_t len = strlen(maildir) ;
  size_t flen = strlen(folder) ;
  char name[MAILDIR_FOLDER_MAX + 2] ;
  int fd = rootfd ;
  int created = 0 ;
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
    int mf ;
     /* the INBOX is the Maildir itself: a folder needs it to exist */
    if (!ensure_subdirs(fd, 0)) goto err ;
    name[0] = '.' ;
    memcpy(name + 1, folder, flen + 1) ;
    fd = step(fd, rootfd, name) ;
    if (fd == -1) return -1 ;
     /* Maildir++: the marker that tells Dovecot this is a folder. */
    mf = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (mf >= 0) { fd_close(mf) ; created = 1 ; }
    else if (errno != EEXIST) goto err ;
  }

  if (!ensure_subdirs(fd, created)) goto err ;
  return fd ;

 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return -1 ;
}

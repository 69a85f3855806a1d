/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"
#include "common/maildir-internal.h"

static void close_keep_errno (int fd)
{
  int e = errno ;
  fd_close(fd) ;
  errno = e ;
}

 /* An existing tmpfd/name. Returns 2 (published earlier), 1 (removed:
    create it again), or 0 with errno. */
static int examine (int tmpfd, int newfd, char const *name, uint64_t size)
{
  struct stat st ;
  int r ;
   /* O_RDWR: on NFS, flock is a whole-file fcntl lock, and an exclusive
      one needs a writable fd (nothing is written); O_NONBLOCK: a FIFO
      put there must not block the open. */
  int fd = openat(tmpfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) ;
  if (fd == -1)
  {
    if (errno == ENOENT) return 1 ;   /* gone meanwhile */
     /* A symlink is nothing we wrote; removing it removes the link only. */
    if (errno == ELOOP) return unlinkat(tmpfd, name, 0) == -1 && errno != ENOENT ? 0 : 1 ;
    return 0 ;
  }
  r = maildir_once_lock(tmpfd, name, fd, &st) ;
  if (r <= 0)
  {
    if (!r && errno == ESTALE) r = 1 ;   /* replaced meanwhile: look again */
    close_keep_errno(fd) ;
    return r ;
  }
  if (S_ISREG(st.st_mode) && st.st_nlink >= 2 && (uint64_t)st.st_size == size)
  {
     /* Published: file fsynced, then linked. The attempt that linked it
        may have died before its fsync of new/, so that is done here,
        before anyone is told. */
    if (fd_sync(newfd) == -1) { close_keep_errno(fd) ; return 0 ; }
    fd_close(fd) ;
    return 2 ;
  }
   /* One link: the writer died before link(); not published. (Several
      links and another size: not what this delivery would write, so not
      taken as it; a new file is made beside it.) */
  if (unlinkat(tmpfd, name, 0) == -1 && errno != ENOENT) { close_keep_errno(fd) ; return 0 ; }
  fd_close(fd) ;
  return 1 ;
}

int maildir_once_create (int tmpfd, int newfd, char const *name, uint64_t size, int *fd)
{
  for (unsigned int i = 0 ; i < MAILDIR_ONCE_TRIES ; i++)
  {
    struct stat st ;
    int r ;
     /* O_EXCL never follows a symlink; O_NOFOLLOW says so twice */
    int f = openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (f >= 0)
    {
       /* Between the creation and the lock, an examiner may have taken
          the file for a dead writer's and removed it: then it is not
          ours to link. Give up (queued retries) rather than loop. */
      r = maildir_once_lock(tmpfd, name, f, &st) ;
      if (r <= 0)
      {
        if (!r) errno = EALREADY ;
        close_keep_errno(f) ;
        return 0 ;
      }
      *fd = f ;
      return 1 ;
    }
    if (errno != EEXIST) return 0 ;
    r = examine(tmpfd, newfd, name, size) ;
    if (r != 1) return r ;
  }
  return (errno = EEXIST, 0) ;
}

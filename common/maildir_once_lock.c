/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/maildir-internal.h"

int maildir_once_lock (int dirfd, char const *name, int fd, struct stat *st)
{
  struct stat byname ;
  while (flock(fd, LOCK_EX | LOCK_NB) == -1)
  {
    if (errno == EWOULDBLOCK) return (errno = EALREADY, 0) ;
    if (errno != EINTR) return -1 ;
  }
  if (fstat(fd, st) == -1) return -1 ;
  if (fstatat(dirfd, name, &byname, AT_SYMLINK_NOFOLLOW) == -1)
    return errno == ENOENT ? (errno = ESTALE, 0) : -1 ;
  if (byname.st_dev != st->st_dev || byname.st_ino != st->st_ino) return (errno = ESTALE, 0) ;
  return 1 ;
}

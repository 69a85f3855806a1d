/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildirsize.h"

 /* README.maildirquota, "Delivering to a Maildir++", step 3: after the
    rename into new/, one line "<size> 1". One write() with O_APPEND puts
    the line at the end as a whole even with other writers appending.
    A maildirsize we cannot append to (a symlink, a FIFO, a full disk,
    a short write) is removed: the next reader recalculates instead of
    trusting a count that misses this message. */

static int drop (int mdfd, int fd, int e)
{
  if (fd >= 0) fd_close(fd) ;
  unlinkat(mdfd, "maildirsize", 0) ;
  errno = e ;
  return 0 ;
}

int maildirsize_append (int mdfd, int64_t bytes, int64_t count)
{
  char line[MAILDIRSIZE_LINE_MAX] ;
  size_t len = maildirsize_fmt_line(line, bytes, count) ;
  struct stat st ;
  ssize_t w ;
  int fd = openat(mdfd, "maildirsize", O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  if (fd == -1)
  {
    if (errno == ENOENT) return 1 ;   /* nobody counts this Maildir */
    return drop(mdfd, -1, errno) ;
  }
  if (fstat(fd, &st) == -1) return drop(mdfd, fd, errno) ;
  if (!S_ISREG(st.st_mode)) return drop(mdfd, fd, EINVAL) ;
  do w = write(fd, line, len) ;
  while (w == -1 && errno == EINTR) ;
  if (w == -1) return drop(mdfd, fd, errno) ;
  if ((size_t)w != len) return drop(mdfd, fd, EIO) ;
  if (close(fd) == -1) return drop(mdfd, -1, errno) ;
  return 1 ;
}

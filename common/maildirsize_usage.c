/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildirsize.h"

 /* README.maildirquota, "Calculating the quota for a Maildir++": read
    at most MAILDIRSIZE_MAX bytes; a file that fills them is recalculated
    (appends have made it long, and the longer it is the likelier a lost
    or doubled line); so is one that says we are over quota, if it has
    more than one line or is old enough that a client unaware of the
    quota may have removed mail since. O_NONBLOCK: a FIFO planted by the
    mailbox owner must not hang delivery; it is no regular file, so it is
    replaced by the recalculation. */

 /* Reads the file into buf; returns its length, or -1 if the file must
    be recalculated (missing, odd, too long). */
static ssize_t read_file (int mdfd, char *buf, struct stat *st)
{
  size_t len = 0 ;
  int fd = openat(mdfd, "maildirsize", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  if (fd == -1) return -1 ;
  if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) goto no ;
  while (len < MAILDIRSIZE_MAX)
  {
    ssize_t r = read(fd, buf + len, MAILDIRSIZE_MAX - len) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      goto no ;
    }
    if (!r) break ;
    len += r ;
  }
  fd_close(fd) ;
  return len >= MAILDIRSIZE_MAX ? -1 : (ssize_t)len ;

 no:
  fd_close(fd) ;
  return -1 ;
}

int maildirsize_usage (int mdfd, uint64_t limit, uint64_t incoming, time_t now, maildirsize *m)
{
  char buf[MAILDIRSIZE_MAX] ;
  struct stat st ;
  ssize_t len = read_file(mdfd, buf, &st) ;
  if (len < 0) return maildirsize_recalc(mdfd, limit, m) ;
  if (!maildirsize_parse(buf, len, m)
   || m->limit_bytes != limit || m->limit_count)
    return maildirsize_recalc(mdfd, limit, m) ;
  m->recalculated = 0 ;
  if (m->bytes > limit || incoming > limit - m->bytes)
  {
    if (!now) now = time(0) ;
    if (m->lines > 1 || now - st.st_mtim.tv_sec >= MAILDIRSIZE_STALE || now < st.st_mtim.tv_sec)
      return maildirsize_recalc(mdfd, limit, m) ;
  }
  return 1 ;
}

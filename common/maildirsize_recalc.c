/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>   /* renameat() only */
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>

#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/maildirsize-internal.h"

 /* README.maildirquota, "Calculating maildirsize", step 3: the new file
    is made in tmp/ and renamed over the old one, so a reader sees the
    old or the new file, never half of one; then cur/ and new/ are looked
    at again, and if one changed after the scan read it (a message came
    or went meanwhile, and its line may have been appended to the file
    just replaced), the new file is removed: the next reader scans again. */

static unsigned int seq = 0 ;

static int later (struct timespec const *a, struct timespec const *b)
{
  return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec) ;
}

 /* Writes the file; 1 if maildirsize was replaced, 0 if not (errno). */
static int write_file (int mdfd, uint64_t limit, uint64_t bytes, uint64_t count)
{
  char buf[MAILDIRSIZE_HEADER_MAX + MAILDIRSIZE_LINE_MAX] ;
  char name[16 + PID_FMT + UINT_FMT] ;
  size_t len, n ;
  int tmpfd, fd = -1 ;
  int e ;
  len = limit ? maildirsize_fmt_header(buf, limit) : (buf[0] = '\n', 1) ;
   /* a Maildir of more than 2^63 bytes is not worth a special case */
  len += maildirsize_fmt_line(buf + len,
    bytes > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)bytes,
    count > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)count) ;
  tmpfd = maildir_opendir_beneath(mdfd, "tmp") ;
  if (tmpfd == -1) return 0 ;
  for (unsigned int i = 0 ; i < 3 && fd == -1 ; i++)
  {
    memcpy(name, "maildirsize.", 12) ;
    n = 12 ;
    n += pid_fmt(name + n, getpid()) ;
    name[n++] = '.' ;
    n += uint_fmt(name + n, seq++) ;
    name[n] = 0 ;
    fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (fd == -1 && errno != EEXIST) break ;
  }
  if (fd == -1) goto err ;
  if (allwrite(fd, buf, len) < len)
  {
    e = errno ;
    fd_close(fd) ;
    errno = e ;
    goto errtmp ;
  }
  if (close(fd) == -1) goto errtmp ;
  if (renameat(tmpfd, name, mdfd, "maildirsize") == -1) goto errtmp ;
  fd_close(tmpfd) ;
  return 1 ;

 errtmp:
  e = errno ;
  unlinkat(tmpfd, name, 0) ;
  errno = e ;
 err:
  e = errno ;
  fd_close(tmpfd) ;
  errno = e ;
  return 0 ;
}

int maildirsize_recalc (int mdfd, uint64_t limit, maildirsize *m)
{
  maildirsize r = MAILDIRSIZE_ZERO ;
  struct timespec before = { .tv_sec = 0, .tv_nsec = 0 } ;
  if (!maildirsize_scan_all(mdfd, 1, &r.bytes, &r.count, &before)) return 0 ;
  r.limit_bytes = limit ;
  r.lines = 1 ;
  r.recalculated = 1 ;
  if (write_file(mdfd, limit, r.bytes, r.count))
  {
    struct timespec after = before ;
    uint64_t b = 0, c = 0 ;
    if (!maildirsize_scan_all(mdfd, 0, &b, &c, &after) || later(&after, &before))
      unlinkat(mdfd, "maildirsize", 0) ;
  }
  *m = r ;
  return 1 ;
}

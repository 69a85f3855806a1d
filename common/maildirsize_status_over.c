/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildirsize.h"

 /* The usage in the file is compared with the quota of now, not the one
    it was measured against: an admin who raises or removes a quota is
    obeyed at once, and one who lowers it at the next measure. */
int maildirsize_status_over (int dirfd, char const *maildir, uint64_t limit, time_t now)
{
  char name[MAILDIRSIZE_STATUS_NAME] ;
  char buf[MAILDIRSIZE_STATUS_MAX + 1] ;
  struct stat st ;
  uint64_t usage, was ;
  size_t len = 0 ;
  int fd ;
  if (!limit) return 0 ;
  maildirsize_status_name(name, maildir) ;
  fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  if (fstat(fd, &st) == -1) goto err ;
  if (!S_ISREG(st.st_mode)) goto no ;
  if (now < st.st_mtim.tv_sec || now - st.st_mtim.tv_sec >= MAILDIRSIZE_STALE) goto no ;
  while (len < sizeof(buf))
  {
    ssize_t r = read(fd, buf + len, sizeof(buf) - len) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      goto err ;
    }
    if (!r) break ;
    len += r ;
  }
  fd_close(fd) ;
  if (!maildirsize_status_parse(buf, len, &usage, &was)) return 0 ;
  return usage >= limit ;

 no:
  fd_close(fd) ;
  return 0 ;

 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return -1 ;
}

/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>   /* renameat() only */
#include <string.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/maildirsize.h"

 /* Not fsynced: the status is a hint that a crash may lose (smtpd then
    lets a message through, and deliverd defers it as before). Mode 0644:
    smtpd, as phsmtpd, reads it. */
int maildirsize_status_set (int dirfd, char const *maildir, uint64_t usage, uint64_t limit)
{
  char name[MAILDIRSIZE_STATUS_NAME] ;
  char tmp[MAILDIRSIZE_STATUS_NAME + 2 + PID_FMT] ;
  char buf[2 * UINT64_FMT + 2] ;
  size_t len, n ;
  int fd, e ;
  maildirsize_status_name(name, maildir) ;
  len = uint64_fmt(buf, usage) ;
  buf[len++] = ' ' ;
  len += uint64_fmt(buf + len, limit) ;
  buf[len++] = '\n' ;
  memcpy(tmp, name, 64) ;
  tmp[64] = '.' ;
  n = 65 + pid_fmt(tmp + 65, getpid()) ;
  tmp[n] = 0 ;
  fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644) ;
  if (fd == -1) return 0 ;
  if (allwrite(fd, buf, len) < len) goto err ;
  if (close(fd) == -1) { fd = -1 ; goto err ; }
  if (renameat(dirfd, tmp, dirfd, name) == -1) { fd = -1 ; goto err ; }
  return 1 ;

 err:
  e = errno ;
  if (fd >= 0) fd_close(fd) ;
  unlinkat(dirfd, tmp, 0) ;
  errno = e ;
  return 0 ;
}

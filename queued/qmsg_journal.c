/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>

#include "queued/qmsg.h"

int qmsg_journal (qmsg *m, char const *dir, char const *s, size_t len)
{
  size_t dlen = strlen(dir) ;
  char path[dlen + 7] ;
  int fd ;
  int fresh = !m->journal_len ;
  if (m->broken) return (errno = EIO, 0) ;
  memcpy(path, dir, dlen) ;
  memcpy(path + dlen, "/state", 7) ;
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) ;
  if (fd < 0) return 0 ;
  if (allwrite(fd, s, len) < len || fd_sync(fd) < 0) goto err ;
  if (close(fd) < 0 && errno != EINTR) { fd = -1 ; goto err ; }
  /* A new state file is a new name in the message directory: make the
   * name durable too, or the first transaction could vanish with it. */
  if (fresh)
  {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (dfd < 0) goto errnofd ;
    if (fd_sync(dfd) < 0) { int e = errno ; fd_close(dfd) ; errno = e ; goto errnofd ; }
    fd_close(dfd) ;
  }
  m->journal_len += len ;
  return 1 ;

 err:
  {
    /* Not durable, so not done: cut the file back to the last complete
     * transaction so that later appends follow it. If even that fails,
     * stop using the journal until the message is reloaded (the loader
     * drops a torn tail). */
    int e = errno ;
    if (fd < 0) fd = open(path, O_WRONLY | O_CLOEXEC) ;
    if (fd < 0 || ftruncate(fd, (off_t)m->journal_len) < 0) m->broken = 1 ;
    if (fd >= 0) fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
 errnofd:
  {
    /* The transaction is in the file but its name may not be durable:
     * say no; a reload will find the file if it survived. */
    m->broken = 1 ;
    return 0 ;
  }
}

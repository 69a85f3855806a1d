/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"
#include "common/maildir-internal.h"

 /* The tmp/ names of maildir_deliver_once must outlive every request
    queued could still send for their (message, destination), and no
    more: each holds its file (a hard link) after the user deleted the
    message. The sweep is bounded work for the delivery that does it:
    one fstatat of the stamp on most deliveries, and at most
    MAILDIR_SWEEP_READ directory entries when the stamp is old. */

static int fresh (struct stat const *st, time_t now, time_t interval)
{
   /* a stamp in the future (the clock went back) counts as old */
  return S_ISREG(st->st_mode) && st->st_mtime <= now && now - st->st_mtime < interval ;
}

 /* A file's timestamp may be up to a clock tick ahead of time(2): the
    kernel stamps files from a finer clock than the coarse one time(2)
    reads, so a record made a moment ago can carry the next second. Only
    a record further in the future than this says the clock went back. */
#define FUTURE_SLACK 60

 /* the last write was the delivery (an examiner only reads) */
static int old (struct stat const *st, unsigned int window, time_t now)
{
  return S_ISREG(st->st_mode) && (st->st_mtime > now + FUTURE_SLACK || now - st->st_mtime > (time_t)window) ;
}

 /* name looked old: remove it, unless a writer holds it (a new delivery
    may have taken the name since) or it is no longer old. 1 removed, 0
    not, -1 error. */
static int remove_old (int tmpfd, char const *name, unsigned int window, time_t now)
{
  struct stat st ;
  int r ;
   /* O_RDWR for the lock, as in maildir_once_create */
  int fd = openat(tmpfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT || errno == ELOOP ? 0 : -1 ;
  r = maildir_once_lock(tmpfd, name, fd, &st) ;
  if (r == 1 && !old(&st, window, now)) r = 0 ;
  if (r == 1) r = unlinkat(tmpfd, name, 0) == -1 ? (errno == ENOENT ? 0 : -1) : 1 ;
  else if (!r) errno = 0 ;
  if (r == -1)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return -1 ;
  }
  fd_close(fd) ;
  return r ;
}

static int sweep (int tmpfd, unsigned int window, time_t now, int *more)
{
  DIR *dir ;
  int removed = 0 ;
  int dfd = openat(tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd == -1) return -1 ;
  dir = fdopendir(dfd) ;
  if (!dir)
  {
    fd_close(dfd) ;
    return -1 ;
  }
  *more = 0 ;
  for (unsigned int n = 0 ;; n++)
  {
    struct dirent *d ;
    struct stat st ;
    if (n >= MAILDIR_SWEEP_READ) { *more = 1 ; break ; }
    errno = 0 ;
    d = readdir(dir) ;
    if (!d)
    {
      if (errno) goto err ;
      break ;
    }
    if (!maildir_oncename_is(d->d_name)) continue ;
    if (fstatat(tmpfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
    {
      if (errno == ENOENT) continue ;
      goto err ;
    }
    if (!old(&st, window, now)) continue ;
    switch (remove_old(tmpfd, d->d_name, window, now))
    {
      case -1 : goto err ;
      case 1 : removed++ ; break ;
      default : break ;
    }
  }
  closedir(dir) ;
  return removed ;

 err:
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
  }
  return -1 ;
}

int maildir_once_sweep (int rootfd, char const *maildir, char const *folder, unsigned int window, time_t now)
{
  char path[MAILDIR_PATH_MAX + MAILDIR_FOLDER_MAX + 8] ;
  size_t mlen = strlen(maildir), flen = strlen(folder), n = 0 ;
  time_t interval = window / 4 ? (time_t)(window / 4) : 1 ;
  struct stat st ;
  struct timespec ts[2] ;
  int tmpfd, sfd, r, more = 0 ;

  if (!mlen || mlen > MAILDIR_PATH_MAX || flen > MAILDIR_FOLDER_MAX) return (errno = EINVAL, -1) ;
  memcpy(path, maildir, mlen) ; n = mlen ;
  if (flen)
  {
    path[n++] = '/' ; path[n++] = '.' ;
    memcpy(path + n, folder, flen) ; n += flen ;
  }
  memcpy(path + n, "/tmp", 5) ;

  tmpfd = maildir_opendir_beneath(rootfd, path) ;
  if (tmpfd == -1) return -1 ;
  if (!fstatat(tmpfd, MAILDIR_SWEEP_STAMP, &st, AT_SYMLINK_NOFOLLOW) && fresh(&st, now, interval))
  {
    fd_close(tmpfd) ;
    return 0 ;
  }
  sfd = openat(tmpfd, MAILDIR_SWEEP_STAMP, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600) ;
  if (sfd == -1) goto err ;
   /* one sweeper at a time; the others go on delivering */
  if (flock(sfd, LOCK_EX | LOCK_NB) == -1)
  {
    if (errno != EWOULDBLOCK && errno != EINTR) goto errs ;
    r = 0 ;
    goto end ;
  }
  if (fstat(sfd, &st) == -1) goto errs ;
  if (fresh(&st, now, interval)) { r = 0 ; goto end ; }
   /* Renewed first: a sweep that fails is not tried again at once by
      every delivery. */
  ts[0].tv_sec = ts[1].tv_sec = now ;
  ts[0].tv_nsec = ts[1].tv_nsec = 0 ;
  if (futimens(sfd, ts) == -1) goto errs ;
  r = sweep(tmpfd, window, now, &more) ;
  if (r == -1) goto errs ;
  if (more && interval > MAILDIR_SWEEP_AGAIN)
  {
     /* stopped at its bound: the next one is due soon */
    ts[0].tv_sec = ts[1].tv_sec = now - interval + MAILDIR_SWEEP_AGAIN ;
    if (futimens(sfd, ts) == -1) goto errs ;
  }
 end:
  fd_close(sfd) ;
  fd_close(tmpfd) ;
  return r ;

 errs:
  {
    int e = errno ;
    fd_close(sfd) ;
    errno = e ;
  }
 err:
  {
    int e = errno ;
    fd_close(tmpfd) ;
    errno = e ;
  }
  return -1 ;
}

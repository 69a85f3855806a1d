/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only: no stdio streams here */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <skalibs/types.h>
#include <skalibs/uint64.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "common/maildir-internal.h"

 /* tmp/ names: time, pid and a per-process sequence number make them
    unique on this host (Dovecot's "M<usec>P<pid>Q<n>" scheme); if one
    exists anyway (a stale file, a pid reused within the same microsecond)
    the next number is tried, without qmail's sleep since the name changes. */

static unsigned int seq = 0 ;

static size_t tmpname_fmt (char *s, struct timeval const *tv, char const *host, unsigned int n)
{
  size_t hlen = strlen(host) ;
  size_t m = 0 ;
  if (hlen > MAILDIR_HOST_MAX) return 0 ;
  if (UINT64_FMT + UINT32_FMT + PID_FMT + UINT_FMT + 5 + hlen > MAILDIR_FOLDER_MAX) return 0 ;
  m += uint64_fmt(s + m, (uint64_t)tv->tv_sec) ;
  s[m++] = '.' ; s[m++] = 'M' ;
  m += uint32_fmt(s + m, (uint32_t)tv->tv_usec) ;
  s[m++] = 'P' ;
  m += pid_fmt(s + m, getpid()) ;
  s[m++] = 'Q' ;
  m += uint_fmt(s + m, n) ;
  s[m++] = '.' ;
  memcpy(s + m, host, hlen) ; m += hlen ;
  s[m] = 0 ;
  return m ;
}

size_t maildir_tmpname (char *s, struct timeval const *tv, char const *host, unsigned int ahead)
{
  return tmpname_fmt(s, tv, host, seq + ahead) ;
}

 /* new/<sec>.V<dev>I<ino>M<usec>.<host>,S=<size>: Postfix's unique name
    (djb's later recipe: the inode of a live file is unique on its device)
    plus Dovecot's S= size, so IMAP needs no stat for RFC822.SIZE. */
static size_t newname_fmt (char *s, struct timeval const *tv, struct stat const *st, char const *host, uint64_t size)
{
  size_t hlen = strlen(host) ;
  size_t m = 0 ;
  if (UINT64_FMT + 2 * UINT64_XFMT + UINT32_FMT + UINT64_FMT + 9 + hlen > MAILDIR_FOLDER_MAX) return 0 ;
  m += uint64_fmt(s + m, (uint64_t)tv->tv_sec) ;
  s[m++] = '.' ; s[m++] = 'V' ;
  m += uint64_xfmt(s + m, (uint64_t)st->st_dev) ;
  s[m++] = 'I' ;
  m += uint64_xfmt(s + m, (uint64_t)st->st_ino) ;
  s[m++] = 'M' ;
  m += uint32_fmt(s + m, (uint32_t)tv->tv_usec) ;
  s[m++] = '.' ;
  memcpy(s + m, host, hlen) ; m += hlen ;
  s[m++] = ',' ; s[m++] = 'S' ; s[m++] = '=' ;
  m += uint64_fmt(s + m, size) ;
  s[m] = 0 ;
  return m ;
}

 /* Writes hdr, then msgfd from offset 0, to fd; the header goes out with
    the first block, one write for a message up to 64 KiB. The queue file
    is shared with queued, so its file position is neither trusted nor
    moved. */
static int copy_message (int fd, char const *hdr, size_t hdrlen, int msgfd, uint64_t *copied)
{
  static char buf[65536] ;
  uint64_t off = 0 ;
  for (;;)
  {
    struct iovec v[2] ;
    size_t want ;
    ssize_t r = pread(msgfd, buf, sizeof(buf), (off_t)off) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      return 0 ;
    }
    if (!r) break ;
    v[0].iov_base = (char *)hdr ; v[0].iov_len = hdrlen ;
    v[1].iov_base = buf ; v[1].iov_len = (size_t)r ;
    want = hdrlen + (size_t)r ;
    if (allwritev(fd, v, 2) < want) return 0 ;
    hdrlen = 0 ;
    off += r ;
  }
  if (hdrlen && allwrite(fd, hdr, hdrlen) < hdrlen) return 0 ;   /* empty message */
  *copied = off ;
  return 1 ;
}

static int create_tmp (int tmpfd, struct timeval const *tv, char const *host, char *name)
{
  for (unsigned int i = 0 ; i < MAILDIR_TMP_TRIES ; i++)
  {
    int fd ;
    if (!tmpname_fmt(name, tv, host, seq++)) return (errno = ENAMETOOLONG, -1) ;
     /* O_EXCL never follows a symlink; O_NOFOLLOW says so twice */
    fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (fd >= 0) return fd ;
    if (errno != EEXIST) return -1 ;
  }
  return -1 ;
}

static void close_keep_errno (int fd)
{
  int e = errno ;
  fd_close(fd) ;
  errno = e ;
}

 /* tmp/ and new/ are opened once, without following symlinks, and the
    file is created, renamed or linked, and synced relative to these fds:
    no path below the root is resolved twice.
    oncename 0: a unique tmp/ name, closed, then renamed into new/.
    Else (maildir_deliver_once): tmp/<oncename>, locked from its creation
    (common/maildir-internal.h), and kept open, so locked, until it is
    linked into new/ and new/ is fsynced; the tmp/ name stays. */
static int deliver (int rootfd, char const *maildir, char const *folder, char const *host, char const *hdr, size_t hdrlen, int msgfd, struct timeval const *tv, char const *oncename, stralloc *where)
{
  char tmpname[MAILDIR_FOLDER_MAX + 1] ;
  char newname[MAILDIR_FOLDER_MAX + 1] ;
  struct timeval now ;
  struct stat st ;
  uint64_t size ;
  int mdfd, tmpfd = -1, newfd = -1, fd = -1 ;
  int published = 0 ;
  int e ;

  if (!*host || strchr(host, '/')) return (errno = EINVAL, 0) ;
  if (oncename && (!maildir_oncename_is(oncename) || strlen(oncename) > MAILDIR_ONCENAME_MAX)) return (errno = EINVAL, 0) ;
   /* Room for the answer now, so that nothing can fail after the rename. */
  if (!stralloc_readyplus(where, strlen(maildir) + strlen(folder) + sizeof(newname) + 8)) return 0 ;
  if (!tv)
  {
    if (gettimeofday(&now, 0) == -1) return 0 ;
    tv = &now ;
  }
  mdfd = maildir_make_open(rootfd, maildir, folder, &newfd, &tmpfd) ;
  if (mdfd == -1) return 0 ;
  if (oncename)
  {
    int r ;
    if (fstat(msgfd, &st) == -1) goto err ;
    r = maildir_once_create(tmpfd, newfd, oncename, (uint64_t)st.st_size + hdrlen, &fd) ;
    if (!r) goto err ;
    memcpy(tmpname, oncename, strlen(oncename) + 1) ;
    if (r == 2) { published = 1 ; goto done ; }
  }
  else
  {
    fd = create_tmp(tmpfd, tv, host, tmpname) ;
    if (fd == -1) goto err ;
  }

  if (!copy_message(fd, hdr, hdrlen, msgfd, &size)
   || fd_sync(fd) == -1
   || fstat(fd, &st) == -1) goto errtmp ;
  size += hdrlen ;
  if (!oncename)
  {
    e = close(fd) ;
    fd = -1 ;
    if (e == -1) goto errtmp ;   /* NFS reports write errors at close */
  }

  if (!newname_fmt(newname, tv, &st, host, size)) { errno = ENAMETOOLONG ; goto errtmp ; }
  if ((oncename ? linkat(tmpfd, tmpname, newfd, newname, 0) : renameat(tmpfd, tmpname, newfd, newname)) == -1) goto errtmp ;
  if (fd_sync(newfd) == -1)
  {
     /* Not known to be durable, so not delivered: take it back, queued
        retries, and the retry must not leave a second copy behind. */
    e = errno ;
    unlinkat(newfd, newname, 0) ;
    errno = e ;
    if (oncename) goto errtmp ;
    goto err ;
  }
  if (oncename)
  {
     /* The lock goes with this close. Its error, after fsync, is not
        expected; if it comes, the new/ link is taken back and the tmp/
        name, no longer ours to remove, is left with one link: the retry
        removes it and writes again. */
    e = close(fd) ;
    fd = -1 ;
    if (e == -1)
    {
      e = errno ;
      unlinkat(newfd, newname, 0) ;
      errno = e ;
      goto err ;
    }
  }

 done:
  fd_close(newfd) ;
  fd_close(tmpfd) ;
  fd_close(mdfd) ;

  stralloc_cats(where, maildir) ;
  if (*folder)
  {
    stralloc_catb(where, "/.", 2) ;
    stralloc_cats(where, folder) ;
  }
  if (!published)
  {
    stralloc_catb(where, "/new/", 5) ;
    stralloc_cats(where, newname) ;
  }
  stralloc_0(where) ;
  return 1 + published ;

 errtmp:
   /* Removed before the close: a oncename file is still locked, so
      still ours. */
  e = errno ;
  unlinkat(tmpfd, tmpname, 0) ;
  if (fd >= 0) fd_close(fd) ;
  errno = e ;
 err:
  if (newfd >= 0) close_keep_errno(newfd) ;
  if (tmpfd >= 0) close_keep_errno(tmpfd) ;
  close_keep_errno(mdfd) ;
  return 0 ;
}

int maildir_deliver (int rootfd, char const *maildir, char const *folder, char const *host, char const *hdr, size_t hdrlen, int msgfd, struct timeval const *tv, stralloc *where)
{
  return deliver(rootfd, maildir, folder, host, hdr, hdrlen, msgfd, tv, 0, where) ;
}

int maildir_deliver_once (int rootfd, char const *maildir, char const *folder, char const *host, char const *hdr, size_t hdrlen, int msgfd, struct timeval const *tv, char const *oncename, stralloc *where)
{
  return deliver(rootfd, maildir, folder, host, hdr, hdrlen, msgfd, tv, oncename, where) ;
}

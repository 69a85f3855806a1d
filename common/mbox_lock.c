/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only */
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* Dovecot's uidlist lock (maildir-uidlist.c): a dotlock,
    dovecot-uidlist.lock, created with O_EXCL; the holder writes the new
    uidlist into it and renames it over dovecot-uidlist, which is also
    the release. A lock not modified for 2 minutes belongs to a dead
    process and is removed. Every change of a folder's index files
    (uidlist, keywords, posthaste-modseq) and every rename of a message
    file by posthaste is made under it, so two sessions never assign the
    same UID and never lose each other's modseq records. */

static uint64_t now_ms (void)
{
  struct timespec ts ;
  clock_gettime(CLOCK_MONOTONIC, &ts) ;
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 ;
}

int mbox_dotlock (int dirfd, char const *name)
{
  uint64_t deadline = now_ms() + MBOX_LOCK_WAIT_MS ;
  unsigned int pause_ms = 1 ;
  for (;;)
  {
    struct stat st ;
    struct timespec ts ;
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (fd >= 0) return fd ;
    if (errno != EEXIST) return -1 ;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
     && time(0) - st.st_mtime > MBOX_LOCK_STALE)
    {
      struct stat st2 ;
       /* the same file still: break it (Dovecot's stale timeout) */
      if (fstatat(dirfd, name, &st2, AT_SYMLINK_NOFOLLOW) == 0
       && st2.st_ino == st.st_ino && st2.st_mtime == st.st_mtime)
        unlinkat(dirfd, name, 0) ;
      continue ;
    }
    if (now_ms() >= deadline) return (errno = ETIMEDOUT, -1) ;
     /* short pauses: the lock is held for a rename and an fdatasync
        (a few ms), and a waiter that sleeps much longer than that
        leaves the folder idle while sessions queue behind it (50
        busy sessions: STORE 100 ms on average with pauses up to 64 ms).
        A try is an openat and an fstatat. */
    ts.tv_sec = 0 ;
    ts.tv_nsec = (long)pause_ms * 1000000 ;
    nanosleep(&ts, 0) ;
    if (pause_ms < 8) pause_ms *= 2 ;
  }
}

int mbox_lock (int dirfd)
{
  return mbox_dotlock(dirfd, MBOX_UIDLIST_LOCK) ;
}

int mbox_dotlock_commit (int dirfd, int lockfd, char const *lockname, char const *name, char const *s, size_t len)
{
  int e ;
  if (allwrite(lockfd, s, len) < len || fd_sync(lockfd) == -1) goto err ;
  if (close(lockfd) == -1) { lockfd = -1 ; goto err ; }
  lockfd = -1 ;
  if (renameat(dirfd, lockname, dirfd, name) == -1) goto err ;
  return fd_sync(dirfd) == 0 ;
 err:
  e = errno ;
  if (lockfd >= 0) fd_close(lockfd) ;
  unlinkat(dirfd, lockname, 0) ;
  errno = e ;
  return 0 ;
}

int mbox_lock_commit (int dirfd, int lockfd, char const *s, size_t len)
{
  return mbox_dotlock_commit(dirfd, lockfd, MBOX_UIDLIST_LOCK, MBOX_UIDLIST, s, len) ;
}

void mbox_unlock (int dirfd, int lockfd)
{
  int e = errno ;
  unlinkat(dirfd, MBOX_UIDLIST_LOCK, 0) ;
  fd_close(lockfd) ;
  errno = e ;
}

int mbox_lock_release (int dirfd, int lockfd, mbox_uidlist const *ul, int dirty)
{
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  if (!dirty) { mbox_unlock(dirfd, lockfd) ; return 1 ; }
  if (!mbox_uidlist_format(ul, &sa)) { mbox_unlock(dirfd, lockfd) ; return 0 ; }
  r = mbox_lock_commit(dirfd, lockfd, sa.s, sa.len) ;
  stralloc_free(&sa) ;
  return r ;
}

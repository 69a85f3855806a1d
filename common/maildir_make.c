/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"

 /* Dovecot creates a missing Maildir on first delivery; so do we, each
    directory mode 0700. A delivery reported durable must not vanish with
    a directory whose entry never reached the disk, so the parent of each
    directory on the way is fsynced: when we created it, and also when
    mkdirat found it there, since another deliverd may have created it a
    moment ago and not fsynced its parent yet (it will, but we might
    acknowledge first). The second kind is done once per directory per
    process: the device and inode of directories known durable are kept
    (SYNCED_MAX of them, the oldest forgotten first, which only costs an
    fsync). A directory this process creates is always synced: its inode
    number may be that of a removed one still in the list.
    Every directory is opened with maildir_opendir_beneath: a symlink
    anywhere below the root is an error (ELOOP), never followed. */

#define SYNCED_MAX 1024

typedef struct dirid_s dirid ;
struct dirid_s
{
  dev_t dev ;
  ino_t ino ;
} ;

static dirid synced[SYNCED_MAX] ;
static unsigned int nsynced = 0 ;
static unsigned int oldest = 0 ;

static int known_durable (struct stat const *st)
{
  for (unsigned int i = 0 ; i < nsynced ; i++)
    if (synced[i].dev == st->st_dev && synced[i].ino == st->st_ino) return 1 ;
  return 0 ;
}

static void remember_durable (struct stat const *st)
{
  unsigned int i ;
  if (known_durable(st)) return ;
  if (nsynced < SYNCED_MAX) i = nsynced++ ;
  else
  {
    i = oldest ;
    oldest = (oldest + 1) % SYNCED_MAX ;
  }
  synced[i].dev = st->st_dev ;
  synced[i].ino = st->st_ino ;
}

static void close_keep_errno (int fd)
{
  int e = errno ;
  fd_close(fd) ;
  errno = e ;
}

 /* Makes sure each of the n names is a directory in dirfd (created if
    missing, never a symlink) whose entry is on disk, with one fsync of
    dirfd at most. If fds is not 0 the directories' fds are left there,
    else closed. Returns 1, or 0 with errno (nothing left open). */
static int ensure_dirs (int dirfd, char const *const *names, unsigned int n, int *fds)
{
  struct stat st[3] ;
  int opened[3] ;
  int need_sync = 0 ;
  unsigned int i = 0 ;
  for (; i < n ; i++)
  {
    /* Open first: the directories exist for all but a Maildir's first
     * delivery, and a mkdirat answering EEXIST costs a path walk too. */
    opened[i] = maildir_opendir_beneath(dirfd, names[i]) ;
    if (opened[i] == -1)
    {
      if (errno != ENOENT) goto err ;
      if (!mkdirat(dirfd, names[i], 0700)) need_sync = 1 ;
      else if (errno != EEXIST) goto err ;
      opened[i] = maildir_opendir_beneath(dirfd, names[i]) ;
      if (opened[i] == -1) goto err ;
    }
    if (fstat(opened[i], st + i) == -1) { i++ ; goto err ; }
    if (!known_durable(st + i)) need_sync = 1 ;
  }
  if (need_sync && fd_sync(dirfd) == -1) goto err ;
  for (i = 0 ; i < n ; i++)
  {
    remember_durable(st + i) ;
    if (fds) fds[i] = opened[i] ;
    else fd_close(opened[i]) ;
  }
  return 1 ;

 err:
  while (i--) close_keep_errno(opened[i]) ;
  return 0 ;
}

static int ensure_subdirs (int fd, int *newfd, int *tmpfd)
{
  static char const *const subdirs[3] = { "cur", "new", "tmp" } ;
  int fds[3] ;
  if (!newfd) return ensure_dirs(fd, subdirs, 3, 0) ;
  if (!ensure_dirs(fd, subdirs, 3, fds)) return 0 ;
  fd_close(fds[0]) ;
  *newfd = fds[1] ;
  *tmpfd = fds[2] ;
  return 1 ;
}

 /* Goes one directory down, creating it if needed; closes dirfd unless
    it is keep. Returns the new fd or -1. */
static int step (int dirfd, int keep, char const *name)
{
  int fd = -1 ;
  if (!ensure_dirs(dirfd, &name, 1, &fd)) fd = -1 ;
  if (dirfd != keep) close_keep_errno(dirfd) ;
  return fd ;
}

 /* Maildir++: the empty file that tells Dovecot this is a folder; made
    durable like the directories. */
static int ensure_marker (int fd)
{
  struct stat st ;
  int mf = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (mf >= 0)
  {
    int r = fstat(mf, &st) ;
    fd_close(mf) ;
    if (r == -1 || fd_sync(fd) == -1) return 0 ;
  }
  else
  {
    if (errno != EEXIST || fstatat(fd, "maildirfolder", &st, AT_SYMLINK_NOFOLLOW) == -1) return 0 ;
    if (!known_durable(&st) && fd_sync(fd) == -1) return 0 ;
  }
  remember_durable(&st) ;
  return 1 ;
}

int maildir_make_open (int rootfd, char const *maildir, char const *folder, int *newfd, int *tmpfd)
{
  size_t len = strlen(maildir) ;
  size_t flen = strlen(folder) ;
  char name[MAILDIR_FOLDER_MAX + 2] ;
  int fd = rootfd ;
  size_t start = 0 ;

  if (!maildir_path_valid(maildir, len) || (flen && !maildir_folder_valid(folder, flen)))
    return (errno = EINVAL, -1) ;

  for (size_t i = 0 ; i <= len ; i++)
  {
    if (i < len && maildir[i] != '/') continue ;
    if (i - start > MAILDIR_FOLDER_MAX) { if (fd != rootfd) fd_close(fd) ; return (errno = ENAMETOOLONG, -1) ; }
    memcpy(name, maildir + start, i - start) ;
    name[i - start] = 0 ;
    fd = step(fd, rootfd, name) ;
    if (fd == -1) return -1 ;
    start = i + 1 ;
  }

  if (flen)
  {
     /* the INBOX is the Maildir itself: a folder needs it to exist */
    if (!ensure_subdirs(fd, 0, 0)) goto err ;
    name[0] = '.' ;
    memcpy(name + 1, folder, flen + 1) ;
    fd = step(fd, rootfd, name) ;
    if (fd == -1) return -1 ;
    if (!ensure_marker(fd)) goto err ;
  }

  if (!ensure_subdirs(fd, newfd, tmpfd)) goto err ;
  return fd ;

 err:
  close_keep_errno(fd) ;
  return -1 ;
}

int maildir_make (int rootfd, char const *maildir, char const *folder)
{
  return maildir_make_open(rootfd, maildir, folder, 0, 0) ;
}

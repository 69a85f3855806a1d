/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only */
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* Small file helpers of the mailbox code: every index file is read
    whole (bounded by MBOX_FILE_MAX) and replaced whole through a temp
    name, fsync of the file, rename, fsync of the directory. */

int mbox_slurp (int dirfd, char const *name, stralloc *sa)
{
  struct stat st ;
  size_t base = sa->len ;
  /* O_NONBLOCK: a FIFO in the file's place must not block us */
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? -1 : 0 ;
  if (fstat(fd, &st) == -1) goto err ;
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MBOX_FILE_MAX) { errno = EPROTO ; goto err ; }
  for (;;)
  {
    ssize_t r ;
    if (!stralloc_readyplus(sa, 8192)) goto err ;
    r = fd_read(fd, sa->s + sa->len, 8192) ;
    if (r == -1) goto err ;
    if (!r) break ;
    sa->len += r ;
    if (sa->len - base > MBOX_FILE_MAX) { errno = EPROTO ; goto err ; }
  }
  fd_close(fd) ;
  return 1 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    sa->len = base ;
    errno = e ;
  }
  return 0 ;
}

int mbox_write_file (int dirfd, char const *name, char const *tmpname, char const *s, size_t len)
{
  int e ;
  int fd = openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd == -1) return 0 ;
  if (allwrite(fd, s, len) < len || fd_sync(fd) == -1) goto err ;
  if (close(fd) == -1) { fd = -1 ; goto err ; }
  fd = -1 ;
  if (renameat(dirfd, tmpname, dirfd, name) == -1) goto err ;
  if (fd_sync(dirfd) == -1) return 0 ;
  return 1 ;
 err:
  e = errno ;
  if (fd >= 0) fd_close(fd) ;
  unlinkat(dirfd, tmpname, 0) ;
  errno = e ;
  return 0 ;
}

int mbox_open_root (char const *root)
{
  return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
}

int mbox_is_inbox (char const *folder)
{
  return strlen(folder) == 5 && !case_diffb(folder, 5, "INBOX") ;
}

int mbox_open_folder (int rootfd, char const *folder)
{
  stralloc sa = STRALLOC_ZERO ;
  int fd ;
  if (mbox_is_inbox(folder)) return fcntl(rootfd, F_DUPFD_CLOEXEC, 0) ;
  if (!mbox_folder_name_valid(folder)) return (errno = EINVAL, -1) ;
  if (!stralloc_catb(&sa, ".", 1) || !stralloc_cats(&sa, folder) || !stralloc_0(&sa)) return -1 ;
  fd = openat(rootfd, sa.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  stralloc_free(&sa) ;
  if (fd >= 0)
  {
    struct stat st ;
     /* a folder without cur/ is no mailbox (a \Noselect level) */
    if (fstatat(fd, "cur", &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
    {
      fd_close(fd) ;
      return (errno = ENOENT, -1) ;
    }
  }
  return fd ;
}

int mbox_make_dirs (int dirfd)
{
  static char const *const sub[3] = { "cur", "new", "tmp" } ;
  int made = 0 ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    if (mkdirat(dirfd, sub[i], 0700) == 0) made = 1 ;
    else if (errno != EEXIST) return 0 ;
  }
  if (made && fd_sync(dirfd) == -1) return 0 ;
  return 1 ;
}

int mbox_folder_name_valid (char const *folder)
{
  size_t len = strlen(folder) ;
  stralloc sa = STRALLOC_ZERO ;
  size_t start = 0 ;
  int ok = 1 ;
  if (!len || len > 255 || folder[0] == '.' || folder[len-1] == '.') return 0 ;
  if (mbox_is_inbox(folder)) return 1 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = folder[i] ;
    if (c < 0x20 || c >= 0x7f || c == '/') return 0 ;
    if (c == '.' && folder[i+1] == '.') return 0 ;
  }
   /* each level is modified UTF-7 in its one canonical form */
  for (size_t i = 0 ; i <= len && ok ; i++)
  {
    if (i < len && folder[i] != '.') continue ;
    sa.len = 0 ;
    if (!mutf7_to_utf8(&sa, folder + start, i - start)) ok = 0 ;
    start = i + 1 ;
  }
  stralloc_free(&sa) ;
  return ok ;
}

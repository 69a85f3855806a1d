/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"

 /* deliverd runs as vmail, and so may whoever can write into a Maildir
    (the IMAP side): a symlink there must not redirect mail outside the
    root. openat2(2) (Linux 5.6) resolves the whole path with
    RESOLVE_BENEATH (no escape by ".." or an absolute path) and
    RESOLVE_NO_SYMLINKS (no symlink at any level: ELOOP). Without it
    (older kernel, or a seccomp filter saying ENOSYS or EPERM), the path
    is walked one component at a time with O_NOFOLLOW | O_DIRECTORY,
    which gives the same answer for the paths we use. */

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int no_openat2 = 0 ;

static int walk (int dirfd, char const *path)
{
  size_t len = strlen(path) ;
  size_t start = 0 ;
  int fd = dirfd ;
  if (!len || path[0] == '/') return (errno = EXDEV, -1) ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    char name[MAILDIR_FOLDER_MAX + 1] ;
    size_t n = i - start ;
    int next ;
    if (i < len && path[i] != '/') continue ;
    if (n > MAILDIR_FOLDER_MAX) { errno = ENAMETOOLONG ; goto err ; }
    if (n == 2 && path[start] == '.' && path[start + 1] == '.') { errno = EXDEV ; goto err ; }
    start = i + 1 ;
    if (!n || (n == 1 && path[i - 1] == '.')) continue ;
    memcpy(name, path + i - n, n) ;
    name[n] = 0 ;
    next = openat(fd, name, DIR_FLAGS) ;
    if (next == -1)
    {
      struct stat st ;
       /* O_DIRECTORY wins over O_NOFOLLOW: a symlink gives ENOTDIR; say
          ELOOP as openat2 does, which tells the administrator more */
      if (errno == ENOTDIR && !fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode)) errno = ELOOP ;
      goto err ;
    }
    if (fd != dirfd) fd_close(fd) ;
    fd = next ;
  }
  if (fd == dirfd) return openat(dirfd, ".", DIR_FLAGS) ;
  return fd ;

 err:
  if (fd != dirfd)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return -1 ;
}

int maildir_opendir_beneath (int dirfd, char const *path)
{
  if (!no_openat2)
  {
    struct open_how how ;
    long r ;
    memset(&how, 0, sizeof(how)) ;
     /* no O_NOFOLLOW here: RESOLVE_NO_SYMLINKS refuses a last component
        that is a symlink with ELOOP, where O_DIRECTORY would say ENOTDIR */
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC ;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS ;
    do r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how)) ;
    while (r == -1 && errno == EINTR) ;
    if (r >= 0) return (int)r ;
    if (errno != ENOSYS && errno != EPERM && errno != E2BIG) return -1 ;
    no_openat2 = 1 ;
  }
  return walk(dirfd, path) ;
}

 /* for the tests: make the fallback run */
void maildir_opendir_force_fallback (int on)
{
  no_openat2 = !!on ;
}

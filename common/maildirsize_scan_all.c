/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>

#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/maildirsize-internal.h"

 /* Courier's recalculation (README.maildirquota, "Calculating
    maildirsize"): cur/ and new/ of the Maildir and of every folder;
    each message's size from its name's ",S=<n>" when it has one (every
    Maildir++ writer puts it there, so no stat is needed), else stat.
    Dovecot counts Trash as well, and docker-mailserver's Dovecot is the
    reference here, so Trash is not skipped. Directories are opened with
    maildir_opendir_beneath: a symlinked folder, cur/ or new/ is not
    followed (it may point anywhere) and counts for nothing. */

static void keep_latest (struct timespec *latest, struct timespec const *t)
{
  if (t->tv_sec > latest->tv_sec || (t->tv_sec == latest->tv_sec && t->tv_nsec > latest->tv_nsec))
    *latest = *t ;
}

 /* ",S=<digits>" in the base part of the name (before the ':' that
    starts the flags, which may themselves hold an S), ending at ',' ':'
    or the end. Returns 1 and *size, or 0 if there is none. */
static int size_from_name (char const *name, uint64_t *size)
{
  char const *colon = strchr(name, ':') ;
  size_t len = colon ? (size_t)(colon - name) : strlen(name) ;
  for (size_t i = 0 ; i + 3 < len ; i++)
  {
    size_t j = i + 3 ;
    uint64_t v = 0 ;
    if (name[i] != ',' || name[i+1] != 'S' || name[i+2] != '=') continue ;
    while (j < len && name[j] >= '0' && name[j] <= '9' && j - i - 3 < 19)
      v = v * 10 + (uint64_t)(name[j++] - '0') ;
    if (j > i + 3 && (j == len || name[j] == ','))
    {
      *size = v ;
      return 1 ;
    }
  }
  return 0 ;
}

 /* Adds the messages of the directory path (below mdfd). With sizes 0,
    only its mtime is taken. A missing directory, or one that is a
    symlink or no directory, counts for nothing. */
static int sum_dir (int mdfd, char const *path, int sizes, uint64_t *bytes, uint64_t *count, struct timespec *latest)
{
  struct stat st ;
  DIR *dir ;
  int fd = maildir_opendir_beneath(mdfd, path) ;
  if (fd == -1) return errno == ENOENT || errno == ELOOP || errno == ENOTDIR ;
  if (fstat(fd, &st) == -1) goto err ;
  keep_latest(latest, &st.st_mtim) ;
  if (!sizes) { fd_close(fd) ; return 1 ; }
  dir = fdopendir(fd) ;
  if (!dir) goto err ;
  for (;;)
  {
    struct dirent *d ;
    uint64_t size ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (d->d_name[0] == '.') continue ;
    if (!size_from_name(d->d_name, &size))
    {
      struct stat fst ;
      if (fstatat(fd, d->d_name, &fst, AT_SYMLINK_NOFOLLOW) == -1)
      {
        if (errno == ENOENT) continue ;   /* expunged while we read */
        break ;
      }
      if (!S_ISREG(fst.st_mode)) continue ;
      size = (uint64_t)fst.st_size ;
    }
    *bytes = size > UINT64_MAX - *bytes ? UINT64_MAX : *bytes + size ;
    (*count)++ ;
  }
  if (errno)
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return 0 ;
  }
  closedir(dir) ;
  return 1 ;

 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

static int sum_maildir (int mdfd, char const *folder, int sizes, uint64_t *bytes, uint64_t *count, struct timespec *latest)
{
  char path[MAILDIR_FOLDER_MAX + 6] ;
  size_t n = strlen(folder) ;
  if (n > MAILDIR_FOLDER_MAX) return 1 ;
  memcpy(path, folder, n) ;
  if (n) path[n++] = '/' ;
  memcpy(path + n, "cur", 4) ;
  if (!sum_dir(mdfd, path, sizes, bytes, count, latest)) return 0 ;
  memcpy(path + n, "new", 4) ;
  return sum_dir(mdfd, path, sizes, bytes, count, latest) ;
}

 /* Every folder: the entries of the root that start with a dot (but for
    "." and ".."); those that are no Maildir are skipped by sum_dir. */
int maildirsize_scan_all (int mdfd, int sizes, uint64_t *bytes, uint64_t *count, struct timespec *latest)
{
  DIR *dir ;
  int fd ;
  if (!sum_maildir(mdfd, "", sizes, bytes, count, latest)) return 0 ;
  fd = openat(mdfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd == -1) return 0 ;
  dir = fdopendir(fd) ;
  if (!dir)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  for (;;)
  {
    struct dirent *d ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (d->d_name[0] != '.' || !d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])) continue ;
    if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) continue ;
    if (!sum_maildir(mdfd, d->d_name, sizes, bytes, count, latest)) break ;
  }
  if (errno)
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return 0 ;
  }
  closedir(dir) ;
  return 1 ;
}

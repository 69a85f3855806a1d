/* ISC license. */

#include <string.h>
#include <fcntl.h>
#include <skalibs/djbunix.h>

#include "common/cdbwrite.h"

int cdbwrite_dirsync (char const *path)
{
  char const *slash = strrchr(path, '/') ;
  int fd ;
  if (!slash) fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  else
  {
    size_t n = slash == path ? 1 : (size_t)(slash - path) ;
    char dir[n + 1] ;
    memcpy(dir, path, n) ; dir[n] = 0 ;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  }
  if (fd < 0) return 0 ;
  if (fd_sync(fd) < 0)
  {
    fd_close(fd) ;
    return 0 ;
  }
  fd_close(fd) ;
  return 1 ;
}

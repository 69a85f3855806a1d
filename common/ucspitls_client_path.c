/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ucspitls-internal.h"

/* Where tlsc is: named by PH_TLSC (tests, unusual layouts); else beside
 * the program that runs (build/bin, $PH_STATE/bin, the install's
 * libexec directory all hold both); else in $PH_STATE/bin. */

static int put (char *buf, size_t max, char const *dir, size_t dirlen, char const *name)
{
  size_t n = strlen(name) ;
  if (dirlen + 1 + n + 1 > max) return (errno = ENAMETOOLONG, 0) ;
  memcpy(buf, dir, dirlen) ;
  buf[dirlen] = '/' ;
  memcpy(buf + dirlen + 1, name, n + 1) ;
  return 1 ;
}

int ucspitls_client_path (char *buf, size_t max)
{
  char const *x = getenv("PH_TLSC") ;
  if (x && *x)
  {
    size_t n = strlen(x) ;
    if (n + 1 > max) return (errno = ENAMETOOLONG, 0) ;
    memcpy(buf, x, n + 1) ;
    return access(buf, X_OK) == 0 ? 1 : (errno = ENOENT, 0) ;
  }
  {
    char self[4096] ;
    ssize_t r = readlink("/proc/self/exe", self, sizeof(self) - 1) ;
    if (r > 0)
    {
      char *slash ;
      self[r] = 0 ;
      slash = strrchr(self, '/') ;
      if (slash && put(buf, max, self, (size_t)(slash - self), "tlsc") && access(buf, X_OK) == 0) return 1 ;
    }
  }
  x = getenv("PH_STATE") ;
  if (x && *x && put(buf, max, x, strlen(x), "bin/tlsc") && access(buf, X_OK) == 0) return 1 ;
  return (errno = ENOENT, 0) ;
}

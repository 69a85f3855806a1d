/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/greylist-internal.h"

/* Expiry by age of the file (every write renames a new one in, so its
 * mtime is its last use): a record unused for max_age, or a temporary
 * file left by a killed writer for a day, goes. One subdirectory per
 * call, in turn by the minute, so that a busy server sweeps all 32
 * within half an hour without any call doing much. */

int greylist_sweep (char const *dir, greylist_settings const *set, uint64_t now, unsigned int max)
{
  static char const hex[] = "0123456789abcdef" ;
  char path[GREYLIST_PATH_MAX] ;
  size_t n = strlen(dir) ;
  unsigned int slot = (unsigned int)((now / 60) % 32), seen = 0 ;
  int removed = 0 ;
  DIR *d ;
  if (n + 300 > sizeof(path)) return (errno = ENAMETOOLONG, -1) ;
  memcpy(path, dir, n) ;
  path[n++] = '/' ;
  path[n++] = slot < 16 ? 't' : 'c' ;
  path[n++] = '/' ;
  path[n++] = hex[slot & 15] ;
  path[n] = 0 ;
  d = opendir(path) ;
  if (!d) return errno == ENOENT ? 0 : -1 ;
  path[n++] = '/' ;
  for (;;)
  {
    struct dirent *e ;
    struct stat st ;
    size_t l ;
    int tmp ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (e->d_name[0] == '.') continue ;
    if (++seen > max) break ;
    l = strlen(e->d_name) ;
    if (l > 200) continue ;
    memcpy(path + n, e->d_name, l + 1) ;
    if (lstat(path, &st) < 0) continue ;
    tmp = l > 4 && !memcmp(e->d_name + l - 4, ".tmp", 4) ;
    if ((uint64_t)st.st_mtime + (tmp ? 86400 : set->max_age) < now && unlink(path) == 0) removed++ ;
  }
  closedir(d) ;
  return removed ;
}

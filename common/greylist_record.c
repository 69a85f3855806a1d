/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>   /* rename */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>

#include "common/bayes.h"
#include "common/greylist-internal.h"

size_t greylist_path (char *out, char const *dir, char kind, char const *key, size_t keylen)
{
  static char const hex[] = "0123456789abcdef" ;
  uint64_t h = bayes_hash("", key, keylen) ;
  size_t n = strlen(dir) ;
  if (n + 24 > GREYLIST_PATH_MAX) return 0 ;
  memcpy(out, dir, n) ;
  out[n++] = '/' ;
  out[n++] = kind ;
  out[n++] = '/' ;
  out[n++] = hex[h >> 60] ;
  out[n++] = '/' ;
  for (int i = 15 ; i >= 0 ; i--) out[n++] = hex[(h >> (4 * i)) & 15] ;
  out[n] = 0 ;
  return n ;
}

int greylist_record_read (char const *path, uint64_t *v, unsigned int n)
{
  char buf[GREYLIST_RECORD_MAX + 1] ;
  ssize_t r ;
  size_t pos = 0 ;
  unsigned int got = 0 ;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0) return errno == ENOENT ? 0 : -1 ;
  r = allread(fd, buf, GREYLIST_RECORD_MAX) ;
  fd_close(fd) ;
  if (r <= 0) return 0 ;
  buf[r] = 0 ;
  while (got < n)
  {
    size_t k = uint64_scan(buf + pos, &v[got]) ;
    if (!k) return 0 ;
    pos += k ;
    got++ ;
    if (buf[pos] == ' ') pos++ ;
    else break ;
  }
  return buf[pos] == '\n' && got == n ? (int)got : 0 ;
}

int greylist_record_write (char const *path, uint64_t const *v, unsigned int n)
{
  char buf[GREYLIST_RECORD_MAX] ;
  char tmp[GREYLIST_PATH_MAX + 32] ;
  size_t len = 0, pl = strlen(path) ;
  int fd ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (i) buf[len++] = ' ' ;
    len += uint64_fmt(buf + len, v[i]) ;
  }
  buf[len++] = '\n' ;
  memcpy(tmp, path, pl) ;
  tmp[pl] = '.' ;
  pl++ ;
  pl += pid_fmt(tmp + pl, getpid()) ;
  memcpy(tmp + pl, ".tmp", 5) ;
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0 && errno == ENOENT)
  {
    /* the subdirectory (and its parent) on first use */
    char d[GREYLIST_PATH_MAX] ;
    char *slash ;
    memcpy(d, path, strlen(path) + 1) ;
    slash = strrchr(d, '/') ; *slash = 0 ;
    slash = strrchr(d, '/') ; *slash = 0 ;
    if (mkdir(d, 0700) < 0 && errno != EEXIST) return 0 ;
    *slash = '/' ;
    if (mkdir(d, 0700) < 0 && errno != EEXIST) return 0 ;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  }
  if (fd < 0) return 0 ;
  if (allwrite(fd, buf, len) < len) { int e = errno ; fd_close(fd) ; unlink(tmp) ; errno = e ; return 0 ; }
  fd_close(fd) ;
  if (rename(tmp, path) < 0) { int e = errno ; unlink(tmp) ; errno = e ; return 0 ; }
  return 1 ;
}

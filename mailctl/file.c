/* ISC license. */

#include <errno.h>
#include <stdio.h>  /* rename */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/cdbwrite.h"
#include "mailctl.h"

#define dienomem() strerr_diefu1sys(111, "allocate memory")

void mc_file_read (mcfile *f, char const *path)
{
  size_t start = 0 ;
  unsigned int lineno = 0 ;
  f->path = path ;
  f->storage.len = 0 ;
  genalloc_setlen(mcline, &f->lines, 0) ;
  if (!openslurpclose(&f->storage, path) && errno != ENOENT)
    strerr_diefu2sys(111, "read ", path) ;
  /* The file's bytes stay where they are; every line points into them,
   * and whatever the parsers derive is appended after. */
  while (start < f->storage.len)
  {
    char const *nl = memchr(f->storage.s + start, '\n', f->storage.len - start) ;
    size_t end = nl ? (size_t)(nl - f->storage.s) : f->storage.len ;
    mcline l = { .raw = start, .rawlen = end - start, .lineno = ++lineno } ;
    if (!genalloc_append(mcline, &f->lines, &l)) dienomem() ;
    start = end + 1 ;
  }
}

size_t mc_file_addline (mcfile *f, char const *s, size_t len)
{
  mcline l = { .raw = f->storage.len, .rawlen = len, .lineno = 0 } ;
  if (!stralloc_catb(&f->storage, s, len)) dienomem() ;
  if (!genalloc_append(mcline, &f->lines, &l)) dienomem() ;
  return mc_nlines(f) - 1 ;
}

void mc_file_setraw (mcfile *f, size_t i, char const *s, size_t len)
{
  size_t off = f->storage.len ;
  if (!stralloc_catb(&f->storage, s, len)) dienomem() ;
  mc_line(f, i)->raw = off ;
  mc_line(f, i)->rawlen = len ;
}

long mc_file_find (mcfile const *f, char const *key, size_t keylen, size_t from)
{
  size_t n = mc_nlines(f) ;
  for (size_t i = from ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &f->lines) + i ;
    if (l->data && !l->deleted && l->keylen == keylen && !memcmp(f->storage.s + l->key, key, keylen))
      return (long)i ;
  }
  return -1 ;
}

void mc_file_write (mcfile const *f, unsigned int mode)
{
  stralloc out = STRALLOC_ZERO ;
  stralloc tmp = STRALLOC_ZERO ;
  struct stat st ;
  int fd ;
  int exists = stat(f->path, &st) == 0 ;
  size_t n = mc_nlines(f) ;
  if (!exists && errno != ENOENT) strerr_diefu2sys(111, "stat ", f->path) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &f->lines) + i ;
    if (l->deleted) continue ;
    if (!stralloc_catb(&out, f->storage.s + l->raw, l->rawlen) || !stralloc_catb(&out, "\n", 1)) dienomem() ;
  }
  if (!stralloc_cats(&tmp, f->path) || !stralloc_cats(&tmp, ".tmp.XXXXXX") || !stralloc_0(&tmp)) dienomem() ;
  fd = mkostemp(tmp.s, O_CLOEXEC) ;
  if (fd < 0) strerr_diefu2sys(111, "create a temporary file for ", f->path) ;
  /* The old file's owner and mode carry over: the admin may have set
   * them, and postfix-accounts.cf holds password hashes. */
  if (allwrite(fd, out.s, out.len) < out.len
   || (exists && fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
   || fchmod(fd, exists ? (st.st_mode & 07777) : mode) < 0
   || fd_sync(fd) < 0)
  {
    int e = errno ;
    fd_close(fd) ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefu2sys(111, "write ", tmp.s) ;
  }
  if (close(fd) < 0 || rename(tmp.s, f->path) < 0)
  {
    int e = errno ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefu4sys(111, "write ", tmp.s, " and rename it to ", f->path) ;
  }
  if (!cdbwrite_dirsync(f->path)) strerr_diefu2sys(111, "sync the directory of ", f->path) ;
  stralloc_free(&out) ;
  stralloc_free(&tmp) ;
}

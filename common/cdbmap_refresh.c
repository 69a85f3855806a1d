/* ISC license. */

#include <errno.h>
#include <sys/stat.h>

#include <skalibs/cdb.h>
#include <skalibs/djbunix.h>

#include "common/cdbmap.h"

/* mailctl replaces a map by rename(), so a new inode means a new map.
 * While the old file is mapped its inode stays allocated, so the new
 * file cannot reuse its number. The size is compared too: a file
 * rewritten in place (against the contract) is re-mapped instead of
 * being read past its new end.
 * On an error the old map, if any, is kept and the next call retries. */

/* A djb cdb starts with a 2048-byte table of hash-table pointers; a file
 * shorter than that is no cdb (it is an empty or cut file). */
#define CDB_HEADER_LEN 2048

static void unmap (cdbmap *m)
{
  if (m->present) cdb_free(&m->c) ;
  m->present = 0 ;
}

static int remap (cdbmap *m)
{
  cdb c = CDB_ZERO ;
  struct stat st ;
  int fd = openc_read(m->path) ;
  if (fd < 0)
  {
    if (errno != ENOENT) return 0 ;
    unmap(m) ;  /* it vanished between stat() and open() */
    return 1 ;
  }
  if (fstat(fd, &st) < 0) goto err ;
  if (!S_ISREG(st.st_mode) || st.st_size < CDB_HEADER_LEN) { errno = EINVAL ; goto err ; }
  if (!cdb_init_fromfd(&c, fd)) goto err ;
  fd_close(fd) ;
  unmap(m) ;
  m->c = c ;
  m->dev = st.st_dev ;
  m->ino = st.st_ino ;
  m->present = 1 ;
  return 1 ;

 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

int cdbmap_refresh (cdbmap *m)
{
  struct stat st ;
  if (stat(m->path, &st) < 0)
  {
    if (errno != ENOENT) return 0 ;
    unmap(m) ;
    return 1 ;
  }
  if (m->present && st.st_dev == m->dev && st.st_ino == m->ino && st.st_size == (off_t)m->c.size) return 1 ;
  return remap(m) ;
}

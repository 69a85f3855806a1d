/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/uint32.h>

#include "common/bayes.h"

/* The header (32 bytes): "PHBAYES1", messages learned as spam and as
 * ham, the number of records, the day of the last write, the number of
 * messages remembered, 4 zero bytes; then the records, sorted by hash;
 * then the remembered messages, sorted by fingerprint. The file is replaced by rename,
 * never written in place, so a mapping stays consistent while a learner
 * writes the next version. */

int bayes_db_open (bayes_db *db, char const *path)
{
  struct stat st ;
  int fd ;
  *db = (bayes_db)BAYES_DB_ZERO ;
  fd = open_readb(path) ;
  if (fd < 0) return errno == ENOENT ? 1 : 0 ;
  if (fstat(fd, &st) < 0) goto err ;
  if (!S_ISREG(st.st_mode) || st.st_size < BAYES_HEADER_SIZE
   || (uint64_t)st.st_size > BAYES_HEADER_SIZE + (uint64_t)BAYES_DB_TOKENS_LIMIT * BAYES_RECORD_SIZE + (uint64_t)BAYES_SEEN_MAX * 2 * BAYES_SEEN_SIZE)
  {
    errno = EPROTO ;
    goto err ;
  }
  db->maplen = (size_t)st.st_size ;
  db->map = mmap(0, db->maplen, PROT_READ, MAP_SHARED, fd, 0) ;
  if (db->map == MAP_FAILED) { db->map = 0 ; goto err ; }
  fd_close(fd) ;
  if (memcmp(db->map, BAYES_MAGIC, 8)) goto proto ;
  uint32_unpack(db->map + 8, &db->nspam) ;
  uint32_unpack(db->map + 12, &db->nham) ;
  uint32_unpack(db->map + 16, &db->ntokens) ;
  uint32_unpack(db->map + 20, &db->day) ;
  uint32_unpack(db->map + 24, &db->nseen) ;
  if ((uint64_t)BAYES_HEADER_SIZE + (uint64_t)db->ntokens * BAYES_RECORD_SIZE + (uint64_t)db->nseen * BAYES_SEEN_SIZE != db->maplen) goto proto ;
  return 1 ;
 proto:
  bayes_db_close(db) ;
  errno = EPROTO ;
  return 0 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

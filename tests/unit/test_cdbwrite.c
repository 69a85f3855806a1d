/* ISC license. */

/* common/cdbwrite: the map is complete and readable with skalibs' cdb
 * reader, it gets the requested mode and owner, replacing a map changes
 * the inode atomically, and failures leave no temporary file behind. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>

#include "common/cdbwrite.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/test_cdbwrite.XXXXXX" ;

static unsigned int count_entries (void)
{
  unsigned int n = 0 ;
  DIR *d = opendir(dir) ;
  struct dirent *e ;
  if (!d) return 9999 ;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++ ;
  closedir(d) ;
  return n ;
}

static int lookup (char const *path, char const *key, char const *want, size_t wantlen)
{
  cdb c = CDB_ZERO ;
  cdb_data data ;
  int r ;
  if (!cdb_init(&c, path)) return -1 ;
  r = cdb_find(&c, &data, key, strlen(key)) ;
  if (r == 1) r = data.len == wantlen && !memcmp(data.s, want, wantlen) ? 1 : -2 ;
  cdb_free(&c) ;
  return r ;
}

int main (void)
{
  stralloc path = STRALLOC_ZERO ;
  struct stat st1, st2 ;
  if (!mkdtemp(dir)) { perror("mkdtemp") ; return 111 ; }
  if (!stralloc_cats(&path, dir) || !stralloc_cats(&path, "/users.cdb") || !stralloc_0(&path)) return 111 ;

  {
    cdbwrite w = CDBWRITE_ZERO ;
    int ok = cdbwrite_start(&w, path.s) ;
    CHECK(ok, "start") ;
    CHECK(ok && count_entries() == 1, "temp_file_in_same_dir") ;
    ok = ok && cdbwrite_add(&w, "a@example.test", 14, "maildir=example.test/a\0", 23) ;
    ok = ok && cdbwrite_add(&w, "b@example.test", 14, "", 0) ;
    ok = ok && cdbwrite_add(&w, "bin\0key", 7, "x\0y", 3) ;
    CHECK(ok, "add") ;
    CHECK(ok && cdbwrite_finish(&w, 0640, (uid_t)-1, getuid() == 0 ? 1 : (gid_t)-1), "finish") ;
  }
  CHECK(count_entries() == 1, "no_temp_left") ;
  CHECK(lookup(path.s, "a@example.test", "maildir=example.test/a\0", 23) == 1, "record_found") ;
  CHECK(lookup(path.s, "b@example.test", "", 0) == 1, "empty_value_found") ;
  CHECK(lookup(path.s, "c@example.test", "", 0) == 0, "absent_key_not_found") ;
  {
    cdb c = CDB_ZERO ;
    cdb_data data ;
    int r = cdb_init(&c, path.s) ? cdb_find(&c, &data, "bin\0key", 7) : -1 ;
    CHECK(r == 1 && data.len == 3 && !memcmp(data.s, "x\0y", 3), "binary_key_and_value") ;
    if (r >= 0) cdb_free(&c) ;
  }
  CHECK(stat(path.s, &st1) == 0 && (st1.st_mode & 07777) == 0640, "mode_applied") ;
  if (getuid() == 0) CHECK(st1.st_gid == 1, "group_applied") ;
  else CHECK(st1.st_uid == getuid(), "owner_kept") ;

  /* Replacing: a new inode, the new content, the requested new mode. */
  {
    cdbwrite w = CDBWRITE_ZERO ;
    int ok = cdbwrite_start(&w, path.s) && cdbwrite_add(&w, "c@example.test", 14, "v", 1)
      && cdbwrite_finish(&w, 0644, (uid_t)-1, (gid_t)-1) ;
    CHECK(ok, "replace") ;
  }
  CHECK(stat(path.s, &st2) == 0 && st2.st_ino != st1.st_ino, "replace_new_inode") ;
  CHECK((st2.st_mode & 07777) == 0644, "replace_mode") ;
  CHECK(lookup(path.s, "a@example.test", "", 0) == 0 && lookup(path.s, "c@example.test", "v", 1) == 1, "replace_content") ;

  /* Abort: the target stays as it was, the temporary file goes. */
  {
    cdbwrite w = CDBWRITE_ZERO ;
    int ok = cdbwrite_start(&w, path.s) && cdbwrite_add(&w, "d@example.test", 14, "w", 1) ;
    cdbwrite_abort(&w) ;
    cdbwrite_abort(&w) ;
    CHECK(ok && count_entries() == 1, "abort_removes_temp") ;
    CHECK(lookup(path.s, "c@example.test", "v", 1) == 1, "abort_keeps_target") ;
  }

  /* Failures. */
  {
    cdbwrite w = CDBWRITE_ZERO ;
    errno = 0 ;
    CHECK(!cdbwrite_start(&w, "/nonexistent-dir-for-test/x.cdb") && errno == ENOENT, "start_missing_dir_fails") ;
    cdbwrite_abort(&w) ;
  }
  {
    /* The target is a non-empty directory: rename fails, no temp left. */
    stralloc sub = STRALLOC_ZERO ;
    stralloc inner = STRALLOC_ZERO ;
    cdbwrite w = CDBWRITE_ZERO ;
    int ok ;
    if (!stralloc_cats(&sub, dir) || !stralloc_cats(&sub, "/sub.cdb") || !stralloc_0(&sub)) return 111 ;
    if (!stralloc_cats(&inner, sub.s) || !stralloc_cats(&inner, "/f") || !stralloc_0(&inner)) return 111 ;
    if (mkdir(sub.s, 0755) < 0) return 111 ;
    { int fd = open(inner.s, O_WRONLY | O_CREAT, 0644) ; if (fd < 0) return 111 ; close(fd) ; }
    ok = cdbwrite_start(&w, sub.s) && cdbwrite_add(&w, "k", 1, "v", 1) ;
    CHECK(ok && !cdbwrite_finish(&w, 0644, (uid_t)-1, (gid_t)-1), "finish_rename_failure_reported") ;
    CHECK(count_entries() == 2, "finish_failure_removes_temp") ;
    unlink(inner.s) ; rmdir(sub.s) ;
    stralloc_free(&sub) ; stralloc_free(&inner) ;
  }
  {
    cdbwrite w = CDBWRITE_ZERO ;
    errno = 0 ;
    CHECK(cdbwrite_start(&w, path.s) && !cdbwrite_add(&w, "k", (size_t)UINT32_MAX + 1, "v", 1) && errno == EOVERFLOW, "add_overlong_length_refused") ;
    cdbwrite_abort(&w) ;
  }
  CHECK(cdbwrite_dirsync(path.s) == 1, "dirsync") ;
  CHECK(cdbwrite_dirsync("relative-name") == 1, "dirsync_cwd") ;

  unlink(path.s) ;
  rmdir(dir) ;
  stralloc_free(&path) ;
  return check_done() ;
}

/* ISC license. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>

#include "common/cdbmap.h"
#include "tests/unit/check.h"

/* Maps are written like mailctl does: cdbmake into a temporary name,
 * fsync, rename over the live name. pairs is "k1", "v1", "k2", "v2", 0. */

static char dir[] = "/tmp/test_cdbmap.XXXXXX" ;
static char path[256] ;
static char tmppath[256] ;

static void make_cdb_at (char const *file, char const *const *pairs)
{
  cdbmaker cm = CDBMAKER_ZERO ;
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
  if (fd < 0 || !cdbmake_start(&cm, fd)) { perror("cdbmake_start") ; exit(111) ; }
  for (; *pairs ; pairs += 2)
    if (!cdbmake_add(&cm, pairs[0], strlen(pairs[0]), pairs[1], strlen(pairs[1]))) { perror("cdbmake_add") ; exit(111) ; }
  if (!cdbmake_finish(&cm) || fsync(fd) < 0) { perror("cdbmake_finish") ; exit(111) ; }
  close(fd) ;
}

static void replace_cdb (char const *const *pairs)
{
  make_cdb_at(tmppath, pairs) ;
  if (rename(tmppath, path) < 0) { perror("rename") ; exit(111) ; }
}

static int finds (cdbmap *m, char const *key, char const *want)
{
  cdb_data d ;
  int r = cdbmap_find(m, key, strlen(key), &d) ;
  if (!want) return r == 0 ;
  return r == 1 && d.len == strlen(want) && !memcmp(d.s, want, d.len) ;
}

int main (void)
{
  cdbmap m = CDBMAP_ZERO ;
  if (!mkdtemp(dir)) { perror("mkdtemp") ; return 111 ; }
  snprintf(path, sizeof(path), "%s/users.cdb", dir) ;
  snprintf(tmppath, sizeof(tmppath), "%s/users.cdb.tmp", dir) ;

  CHECK(cdbmap_open(&m, path) == 1 && !m.present, "cdbmap missing file opens as empty") ;
  CHECK(finds(&m, "demo@example.test", 0), "cdbmap missing file finds nothing") ;

  {
    char const *const v1[] = { "demo@example.test", "maildir=example.test/demo", "example.test", "", 0 } ;
    replace_cdb(v1) ;
  }
  CHECK(finds(&m, "demo@example.test", "maildir=example.test/demo") && m.present, "cdbmap picks up a file that appeared") ;
  CHECK(finds(&m, "example.test", ""), "cdbmap empty value") ;
  CHECK(finds(&m, "other@example.test", 0), "cdbmap absent key") ;
  CHECK(finds(&m, "DEMO@example.test", 0), "cdbmap keys are exact") ;
  {
    cdb_data d ;
    CHECK(cdbmap_find(&m, "demo@example.testX", 17, &d) == 1, "cdbmap key length is honoured") ;
  }
  {
    ino_t before = m.ino ;
    char const *const v2[] = { "demo@example.test", "maildir=example.test/demo2", "new@example.test", "x", 0 } ;
    replace_cdb(v2) ;
    CHECK(finds(&m, "demo@example.test", "maildir=example.test/demo2"), "cdbmap re-maps after rename") ;
    CHECK(m.ino != before, "cdbmap records the new inode") ;
    CHECK(finds(&m, "new@example.test", "x") && finds(&m, "example.test", 0), "cdbmap sees only the new file") ;
  }
  {
    /* Two maps of the same file and a held pointer: the old mapping
     * stays readable in one map while the other re-maps. */
    cdbmap m2 = CDBMAP_ZERO ;
    cdb_data old ;
    char const *const v3[] = { "demo@example.test", "third", 0 } ;
    CHECK(cdbmap_open(&m2, path) == 1 && cdbmap_find(&m2, "new@example.test", 16, &old) == 1, "cdbmap second map of the same file") ;
    replace_cdb(v3) ;
    CHECK(finds(&m, "demo@example.test", "third"), "cdbmap first map refreshed") ;
    CHECK(old.len == 1 && old.s[0] == 'x', "cdbmap unrefreshed map still holds its data") ;
    cdbmap_close(&m2) ;
  }

  unlink(path) ;
  CHECK(finds(&m, "demo@example.test", 0) && !m.present, "cdbmap file removed: empty map") ;
  CHECK(cdbmap_refresh(&m) == 1 && !m.present, "cdbmap refresh of a vanished file") ;
  {
    char const *const v4[] = { "demo@example.test", "back", 0 } ;
    replace_cdb(v4) ;
    CHECK(finds(&m, "demo@example.test", "back"), "cdbmap file back after removal") ;
  }
  {
    /* Rewritten in place with another size (same inode). */
    char const *const v5[] = { "demo@example.test", "in place, longer value", "more", "keys", 0 } ;
    ino_t before = m.ino ;
    make_cdb_at(path, v5) ;
    CHECK(finds(&m, "demo@example.test", "in place, longer value") && m.ino == before, "cdbmap re-maps a file rewritten in place") ;
  }
  {
    /* A cut file is refused; the old map is kept, and the next good
     * file is picked up. */
    int fd = open(tmppath, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
    cdb_data d ;
    if (fd < 0 || write(fd, "garbage", 7) != 7) return 111 ;
    close(fd) ;
    rename(tmppath, path) ;
    errno = 0 ;
    CHECK(cdbmap_find(&m, "demo@example.test", 17, &d) == -1 && errno == EINVAL, "cdbmap short file is an error") ;
    CHECK(m.present, "cdbmap keeps the old map on error") ;
    {
      char const *const v6[] = { "demo@example.test", "fixed", 0 } ;
      replace_cdb(v6) ;
      CHECK(finds(&m, "demo@example.test", "fixed"), "cdbmap recovers after a bad file") ;
    }
    fd = open(tmppath, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
    if (fd < 0) return 111 ;
    close(fd) ;
    rename(tmppath, path) ;
    errno = 0 ;
    CHECK(cdbmap_find(&m, "demo@example.test", 17, &d) == -1 && errno == EINVAL, "cdbmap empty file is an error") ;
  }
  {
    /* A corrupt cdb with a valid-looking size: lookups must not crash. */
    char junk[4096] ;
    int fd = open(tmppath, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
    cdb_data d ;
    int r ;
    memset(junk, 0xff, sizeof(junk)) ;
    if (fd < 0 || write(fd, junk, sizeof(junk)) != (ssize_t)sizeof(junk)) return 111 ;
    close(fd) ;
    rename(tmppath, path) ;
    r = cdbmap_find(&m, "demo@example.test", 17, &d) ;
    CHECK(r == -1 || r == 0, "cdbmap corrupt cdb does not crash") ;
  }
  cdbmap_close(&m) ;
  CHECK(!m.present, "cdbmap_close") ;
  {
    cdbmap m3 = CDBMAP_ZERO ;
    cdb_data d ;
    errno = 0 ;
    CHECK(cdbmap_open(&m3, dir) == 0 && errno == EINVAL, "cdbmap a directory is an error") ;
    CHECK(cdbmap_find(&m3, "x", 1, &d) == -1, "cdbmap find on a directory is an error") ;
    cdbmap_close(&m3) ;
  }
  {
    /* Many replacements: no leak of mappings or descriptors. */
    unsigned int i ;
    int ok = 1 ;
    int fdbefore = open("/dev/null", O_RDONLY) ;
    close(fdbefore) ;
    cdbmap_open(&m, path) ;
    for (i = 0 ; i < 300 && ok ; i++)
    {
      char val[16] ;
      char const *pairs[3] = { "k", val, 0 } ;
      snprintf(val, sizeof(val), "v%u", i) ;
      replace_cdb(pairs) ;
      ok = finds(&m, "k", val) ;
    }
    CHECK(ok, "cdbmap 300 successive replacements") ;
    {
      int fdafter = open("/dev/null", O_RDONLY) ;
      close(fdafter) ;
      CHECK(fdafter == fdbefore, "cdbmap leaks no descriptor") ;
    }
    cdbmap_close(&m) ;
  }
  unlink(path) ;
  unlink(tmppath) ;
  rmdir(dir) ;
  return check_done() ;
}

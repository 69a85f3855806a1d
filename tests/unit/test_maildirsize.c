/* ISC license. */

/* Unit tests for common/maildirsize (Maildir++ quota: parsing the
 * semi-trusted maildirsize file, formatting, appending, the scan and the
 * recalculation rules, the quota status files for smtpd) and for
 * rcpt_user_quota (users.cdb "quota="). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/rcpt.h"
#include "tests/unit/check.h"

static char root[256] ;

#define P(s) s, sizeof(s) - 1

static int parses (char const *s, size_t len, maildirsize *m)
{
  maildirsize x ;
  errno = 0 ;
  return maildirsize_parse(s, len, m ? m : &x) ;
}

static void test_parse (void)
{
  maildirsize m ;
  CHECK(parses(P("10485760S\n"), &m) && m.limit_bytes == 10485760 && !m.limit_count && !m.bytes && !m.count && !m.lines,
    "parse: header only: limits, usage 0") ;
  CHECK(parses(P("1000S,20C\n500 2\n-100 -1\n"), &m) && m.limit_bytes == 1000 && m.limit_count == 20
    && m.bytes == 400 && m.count == 1 && m.lines == 2, "parse: S and C, lines summed with negatives") ;
  CHECK(parses(P("20C,1000S\n"), &m) && m.limit_bytes == 1000 && m.limit_count == 20, "parse: limits in any order") ;
  CHECK(parses(P("\n  1234     1\n\t5\t1 \n"), &m) && !m.limit_bytes && m.bytes == 1239 && m.count == 2,
    "parse: empty header (no limits); Courier's padding and tabs") ;
  CHECK(parses(P("100S,7X\n1 1\n"), &m) && m.limit_bytes == 100, "parse: unknown limit letter ignored") ;
  CHECK(parses(P("5S\n0 0\n"), &m) && m.lines == 1 && !m.bytes, "parse: zero line") ;
  CHECK(!parses(P(""), 0) && errno == EINVAL, "parse: empty file refused") ;
  CHECK(!parses(P("100S"), 0), "parse: header without LF refused") ;
  CHECK(!parses(P("100S\n12 1"), 0), "parse: last line without LF (a torn append) refused") ;
  CHECK(!parses(P("S\n"), 0), "parse: limit without digits refused") ;
  CHECK(!parses(P("100\n"), 0), "parse: limit without letter refused") ;
  CHECK(!parses(P("100S,\n"), 0), "parse: trailing comma refused") ;
  CHECK(!parses(P("100S,200S\n"), 0), "parse: S twice refused") ;
  CHECK(!parses(P("100S 5C\n"), 0), "parse: blank in the limits refused") ;
  CHECK(!parses(P("100S\r\n1 1\r\n"), 0), "parse: CRLF refused") ;
  CHECK(!parses(P("100S\n1\n"), 0), "parse: one number refused") ;
  CHECK(!parses(P("100S\n1 2 3\n"), 0), "parse: three numbers refused") ;
  CHECK(!parses(P("100S\n1 x\n"), 0), "parse: letters refused") ;
  CHECK(!parses(P("100S\n1  -\n"), 0), "parse: lone minus refused") ;
  CHECK(!parses(P("100S\n+1 1\n"), 0), "parse: plus sign refused") ;
  CHECK(!parses(P("100S\n\n"), 0), "parse: empty line refused") ;
  CHECK(!parses(P("100S\n1\0 1\n"), 0), "parse: NUL refused") ;
  CHECK(!parses(P("100S\n-5 -1\n"), 0), "parse: negative usage refused") ;
  CHECK(!parses(P("100S\n12345678901234567890 1\n"), 0), "parse: 20 digits refused") ;
  CHECK(!parses(P("123456789012345678901S\n"), 0), "parse: 21-digit limit refused") ;
  CHECK(parses(P("100S\n9223372036854775807 1\n"), &m) && m.bytes == 9223372036854775807ULL, "parse: INT64_MAX line accepted") ;
  CHECK(!parses(P("100S\n9223372036854775807 1\n1 1\n"), 0), "parse: sum overflow refused") ;
  CHECK(!parses(P("100S\n9999999999999999999 1\n"), 0), "parse: 19 digits above INT64_MAX refused") ;
  CHECK(parses(P("100S\n-9223372036854775807 0\n9223372036854775807 0\n"), &m) && !m.bytes, "parse: extreme negative then positive") ;
  {
     /* many lines: the line count saturates nowhere near, sums stay exact */
    stralloc sa = STRALLOC_ZERO ;
    int ok = stralloc_cats(&sa, "1000000S\n") ;
    for (unsigned int i = 0 ; ok && i < 1000 ; i++) ok = stralloc_cats(&sa, "3 1\n") ;
    CHECK(ok && parses(sa.s, sa.len, &m) && m.bytes == 3000 && m.count == 1000 && m.lines == 1000, "parse: 1000 lines") ;
    stralloc_free(&sa) ;
  }
}

static void test_fmt (void)
{
  char buf[MAILDIRSIZE_LINE_MAX] ;
  char hdr[MAILDIRSIZE_HEADER_MAX] ;
  size_t n ;
  n = maildirsize_fmt_header(hdr, 5368709120ULL) ;
  CHECK(n == 12 && !strcmp(hdr, "5368709120S\n"), "fmt: header") ;
  n = maildirsize_fmt_header(hdr, UINT64_MAX) ;
  CHECK(n == 22 && !strcmp(hdr, "18446744073709551615S\n"), "fmt: largest header fits") ;
  n = maildirsize_fmt_line(buf, 1234, 1) ;
  CHECK(n == 7 && !strcmp(buf, "1234 1\n"), "fmt: line") ;
  n = maildirsize_fmt_line(buf, -1234, -1) ;
  CHECK(n == 9 && !strcmp(buf, "-1234 -1\n"), "fmt: negative line") ;
  n = maildirsize_fmt_line(buf, INT64_MIN, INT64_MIN) ;
  CHECK(n == 42 && !strcmp(buf, "-9223372036854775808 -9223372036854775808\n"), "fmt: INT64_MIN fits the buffer") ;
  {
    maildirsize m ;
    char file[MAILDIRSIZE_HEADER_MAX + MAILDIRSIZE_LINE_MAX] ;
    size_t len = maildirsize_fmt_header(file, 777) ;
    len += maildirsize_fmt_line(file + len, 42, 3) ;
    CHECK(maildirsize_parse(file, len, &m) && m.limit_bytes == 777 && m.bytes == 42 && m.count == 3, "fmt: what we write parses back") ;
  }
}

 /* ---- a Maildir on disk */

static int mkd (char const *rel)
{
  char path[512] ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  return mkdir(path, 0700) ;
}

static void put (char const *rel, size_t size)
{
  char path[512] ;
  int fd ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
  if (fd < 0) { perror(path) ; exit(111) ; }
  for (size_t i = 0 ; i < size ; i++) if (write(fd, "x", 1) != 1) exit(111) ;
  close(fd) ;
}

static void putfile (char const *rel, char const *s)
{
  char path[512] ;
  int fd ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
  if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) exit(111) ;
  close(fd) ;
}

static ssize_t getfile (char const *rel, char *buf, size_t max)
{
  char path[512] ;
  ssize_t r ;
  int fd ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  fd = open(path, O_RDONLY) ;
  if (fd < 0) return -1 ;
  r = read(fd, buf, max - 1) ;
  close(fd) ;
  if (r >= 0) buf[r] = 0 ;
  return r ;
}

static int gone (char const *rel)
{
  char path[512] ;
  struct stat st ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  return lstat(path, &st) == -1 && errno == ENOENT ;
}

static void age (char const *rel, time_t secs)
{
  char path[512] ;
  struct timeval tv[2] ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  gettimeofday(&tv[0], 0) ;
  tv[0].tv_sec -= secs ;
  tv[1] = tv[0] ;
  if (utimes(path, tv) == -1) exit(111) ;
}

static int open_md (char const *rel)
{
  char path[512] ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  return open(path, O_RDONLY | O_DIRECTORY) ;
}

 /* md: cur/ new/ tmp/, .Sent, .Trash, a symlinked folder, a plain file
    named like a folder. Total 100 + 200 + 50 (stat) + 7 + 11 + 13 =
    381 bytes in 6 messages. */
static void make_maildir (void)
{
  mkd("md") ; mkd("md/cur") ; mkd("md/new") ; mkd("md/tmp") ;
  put("md/new/1.M1P1.host,S=100", 3) ;               /* the name wins over the real size */
  put("md/cur/2.M2P2.host,S=200:2,S", 0) ;           /* flags after the colon */
  put("md/cur/3.M3P3.host:2,", 50) ;                 /* no S=: stat */
  put("md/cur/.hidden,S=999", 0) ;                   /* dot files are no messages */
  put("md/tmp/4.M4P4.host,S=1000", 0) ;              /* tmp/ does not count */
  mkd("md/.Sent") ; mkd("md/.Sent/cur") ; mkd("md/.Sent/new") ;
  put("md/.Sent/cur/5.M5P5.host,S=7,W=9:2,S", 0) ;   /* Dovecot's W= after S= */
  mkd("md/.Trash") ; mkd("md/.Trash/cur") ;
  put("md/.Trash/cur/6.x,S=11", 0) ;                 /* Trash counts, as in Dovecot */
  mkd("md/.Odd") ; mkd("md/.Odd/new") ;
  put("md/.Odd/new/7.x,S=1x", 13) ;                  /* a bad S= value: stat */
  mkd("elsewhere") ; mkd("elsewhere/cur") ;
  put("elsewhere/cur/8.x,S=100000", 0) ;
  {
    char to[512], from[512] ;
    snprintf(to, sizeof(to), "%s/elsewhere", root) ;
    snprintf(from, sizeof(from), "%s/md/.Link", root) ;
    if (symlink(to, from) == -1) exit(111) ;
    snprintf(from, sizeof(from), "%s/md/cur/9.x,S=100000", root) ;
    if (symlink(to, from) == -1) exit(111) ;
  }
  put("md/.notafolder", 10) ;
}

static void test_scan (void)
{
  uint64_t bytes = 0, count = 0 ;
  struct timespec latest = { 0, 0 } ;
  int md = open_md("md") ;
  CHECK(md >= 0 && maildirsize_scan(md, &bytes, &count, &latest), "scan: succeeds") ;
   /* 381 bytes in 6 messages, plus the symlink planted in cur/: a name
      with ",S=" is counted by its name without a stat, whatever it is
      (Courier and Dovecot do the same); the symlinked folder is skipped */
  CHECK(bytes == 381 + 100000 && count == 7, "scan: sizes from names, stat without, folders and Trash, no symlinked folder, no tmp/") ;
  CHECK(latest.tv_sec > 0, "scan: latest mtime set") ;
  close(md) ;
}

static void test_recalc_usage (void)
{
  char buf[MAILDIRSIZE_MAX + 16] ;
  maildirsize m ;
  int md = open_md("md") ;

   /* missing file: recalculated and written */
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated && m.bytes == 100381 && m.count == 7,
    "usage: missing file recalculated") ;
  CHECK(getfile("md/maildirsize", buf, sizeof(buf)) > 0 && !strcmp(buf, "1000000S\n100381 7\n"), "usage: maildirsize written") ;
  {
    char path[512] ;
    int n = 0 ;
    FILE *p ;
    snprintf(path, sizeof(path), "ls -A %s/md/tmp | grep -c maildirsize", root) ;
    p = popen(path, "r") ;
    if (!p || fscanf(p, "%d", &n) != 1) n = -1 ;
    if (p) pclose(p) ;
    CHECK(n == 0, "usage: no temporary file left in tmp/") ;
  }

   /* the file is believed while it says the message fits */
  putfile("md/maildirsize", "1000000S\n5 1\n6 1\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && !m.recalculated && m.bytes == 11 && m.count == 2,
    "usage: file trusted when the message fits") ;

   /* over quota with several lines: recalculated */
  putfile("md/maildirsize", "1000000S\n999990 1\n6 1\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated && m.bytes == 100381,
    "usage: would not fit, several lines: recalculated") ;

   /* over quota, one line, fresh: believed (no scan every delivery) */
  putfile("md/maildirsize", "1000000S\n999995 1\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && !m.recalculated && m.bytes == 999995,
    "usage: would not fit, one fresh line: believed") ;
   /* ... until it is 15 minutes old */
  CHECK(maildirsize_usage(md, 1000000, 10, time(0) + MAILDIRSIZE_STALE, &m) && m.recalculated && m.bytes == 100381,
    "usage: would not fit, one line 15 minutes old: recalculated") ;
  putfile("md/maildirsize", "1000000S\n999995 1\n") ;
  age("md/maildirsize", MAILDIRSIZE_STALE + 5) ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: old file by its mtime: recalculated") ;

   /* exactly at the limit fits */
  putfile("md/maildirsize", "1000S\n990 1\n") ;
  CHECK(maildirsize_usage(md, 1000, 10, 0, &m) && !m.recalculated && m.bytes == 990, "usage: usage + message == quota fits, no recalculation") ;

   /* other limits in the header: rewritten with ours */
  putfile("md/maildirsize", "5000S\n1 1\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: other byte limit: recalculated") ;
  CHECK(getfile("md/maildirsize", buf, sizeof(buf)) > 0 && !strncmp(buf, "1000000S\n", 9), "usage: header now ours") ;
  putfile("md/maildirsize", "1000000S,10C\n1 1\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: a count limit we do not set: recalculated") ;

   /* malformed, torn */
  putfile("md/maildirsize", "1000000S\n12 1\n3") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated && m.bytes == 100381, "usage: torn last line: recalculated") ;
  putfile("md/maildirsize", "garbage\n") ;
  CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: garbage: recalculated") ;

   /* 5120 bytes or more */
  {
    stralloc sa = STRALLOC_ZERO ;
    stralloc_cats(&sa, "1000000S\n") ;
    while (sa.len < MAILDIRSIZE_MAX) stralloc_cats(&sa, "1 1\n") ;
    stralloc_0(&sa) ;
    putfile("md/maildirsize", sa.s) ;
    CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: file of 5120 bytes: recalculated") ;
    sa.len = 0 ;
    stralloc_cats(&sa, "1000000S\n") ;
    while (sa.len + 4 < MAILDIRSIZE_MAX) stralloc_cats(&sa, "1 1\n") ;
    stralloc_0(&sa) ;
    putfile("md/maildirsize", sa.s) ;
    CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && !m.recalculated && m.count == m.lines, "usage: file just under 5120 bytes: read") ;
    stralloc_free(&sa) ;
  }

   /* a FIFO or a symlink planted in place of the file */
  {
    char path[512], to[512] ;
    snprintf(path, sizeof(path), "%s/md/maildirsize", root) ;
    unlink(path) ;
    if (mkfifo(path, 0600) == -1) exit(111) ;
    CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: FIFO: not read, recalculated") ;
    CHECK(getfile("md/maildirsize", buf, sizeof(buf)) > 0 && !strcmp(buf, "1000000S\n100381 7\n"), "usage: FIFO replaced by the file") ;
    unlink(path) ;
    snprintf(to, sizeof(to), "%s/outside", root) ;
    putfile("outside", "1000000S\n1 1\n") ;
    if (symlink(to, path) == -1) exit(111) ;
    CHECK(maildirsize_usage(md, 1000000, 10, 0, &m) && m.recalculated, "usage: symlink not followed, recalculated") ;
    CHECK(getfile("outside", buf, sizeof(buf)) > 0 && !strcmp(buf, "1000000S\n1 1\n"), "usage: symlink target untouched") ;
  }
  close(md) ;
}

static void test_append (void)
{
  char buf[256] ;
  int md = open_md("md") ;
  putfile("md/maildirsize", "1000S\n5 1\n") ;
  CHECK(maildirsize_append(md, 123, 1) && getfile("md/maildirsize", buf, sizeof(buf)) > 0
    && !strcmp(buf, "1000S\n5 1\n123 1\n"), "append: one line at the end") ;
  CHECK(maildirsize_append(md, -5, -1) && getfile("md/maildirsize", buf, sizeof(buf)) > 0
    && !strcmp(buf, "1000S\n5 1\n123 1\n-5 -1\n"), "append: negative line") ;
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/md/maildirsize", root) ;
    unlink(path) ;
    CHECK(maildirsize_append(md, 1, 1) && gone("md/maildirsize"), "append: no file, none created") ;
    if (symlink("/tmp/whatever-not-there", path) == -1) exit(111) ;
    CHECK(!maildirsize_append(md, 1, 1) && gone("md/maildirsize"), "append: symlink removed, not followed") ;
    if (mkfifo(path, 0600) == -1) exit(111) ;
    CHECK(!maildirsize_append(md, 1, 1) && gone("md/maildirsize"), "append: FIFO removed, no hang") ;
  }
  close(md) ;
}

static void test_recalc_race (void)
{
  char buf[256] ;
  maildirsize m ;
  int md ;
  mkd("race") ; mkd("race/cur") ; mkd("race/new") ; mkd("race/tmp") ;
  put("race/new/1.x,S=10", 0) ;
  md = open_md("race") ;
  CHECK(maildirsize_recalc(md, 100, &m) && m.bytes == 10 && m.count == 1 && m.recalculated, "recalc: sums") ;
  CHECK(getfile("race/maildirsize", buf, sizeof(buf)) > 0 && !strcmp(buf, "100S\n10 1\n"), "recalc: file written") ;
   /* no tmp/: the numbers are still given, the file is not written */
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/race/tmp", root) ;
    rmdir(path) ;
    snprintf(path, sizeof(path), "%s/race/maildirsize", root) ;
    unlink(path) ;
    CHECK(maildirsize_recalc(md, 100, &m) && m.bytes == 10 && gone("race/maildirsize"), "recalc: unwritable: numbers given, no file") ;
  }
  close(md) ;
}

static void test_status (void)
{
  char name[MAILDIRSIZE_STATUS_NAME] ;
  char buf[128] ;
  uint64_t u, l ;
  int dfd ;
  maildirsize_status_name(name, "example.test/demo") ;
  CHECK(strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64, "status: name is 64 hex digits") ;
  {
    char other[MAILDIRSIZE_STATUS_NAME] ;
    maildirsize_status_name(other, "example.test/demo2") ;
    CHECK(strcmp(name, other), "status: names differ per Maildir") ;
  }
   /* SHA-256("abc") */
  maildirsize_status_name(buf, "abc") ;
  CHECK(!strcmp(buf, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "status: SHA-256 of the path") ;

  CHECK(maildirsize_status_parse(P("100 50\n"), &u, &l) && u == 100 && l == 50, "status parse: usage and limit") ;
  CHECK(!maildirsize_status_parse(P("100 50"), &u, &l), "status parse: no LF refused") ;
  CHECK(!maildirsize_status_parse(P("100  50\n"), &u, &l), "status parse: two blanks refused") ;
  CHECK(!maildirsize_status_parse(P(" 100 50\n"), &u, &l), "status parse: leading blank refused") ;
  CHECK(!maildirsize_status_parse(P("-1 50\n"), &u, &l), "status parse: sign refused") ;
  CHECK(!maildirsize_status_parse(P("100 50 1\n"), &u, &l), "status parse: third field refused") ;
  CHECK(!maildirsize_status_parse(P("99999999999999999999 1\n"), &u, &l), "status parse: overflow refused") ;
  CHECK(!maildirsize_status_parse(P("\n"), &u, &l), "status parse: empty refused") ;

  mkd("quota") ;
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/quota", root) ;
    dfd = open(path, O_RDONLY | O_DIRECTORY) ;
  }
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 100, time(0)) == 0, "status: no file, not over") ;
  CHECK(maildirsize_status_set(dfd, "example.test/demo", 150, 100), "status: set") ;
  {
    char rel[128] ;
    struct stat st ;
    char path[512] ;
    snprintf(rel, sizeof(rel), "quota/%s", name) ;
    CHECK(getfile(rel, buf, sizeof(buf)) > 0 && !strcmp(buf, "150 100\n"), "status: file holds usage and limit") ;
    snprintf(path, sizeof(path), "%s/%s", root, rel) ;
    CHECK(!stat(path, &st) && (st.st_mode & 07777) == 0644, "status: file mode 0644") ;
  }
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 100, time(0)) == 1, "status: over") ;
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 150, time(0)) == 1, "status: usage == quota is over") ;
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 200, time(0)) == 0, "status: quota raised since: not over") ;
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 0, time(0)) == 0, "status: quota removed: not over") ;
  CHECK(maildirsize_status_over(dfd, "example.test/demo2", 100, time(0)) == 0, "status: other Maildir not over") ;
  CHECK(maildirsize_status_over(dfd, "example.test/demo", 100, time(0) + MAILDIRSIZE_STALE) == 0, "status: 15 minutes old: not believed") ;
  {
    char rel[128] ;
    snprintf(rel, sizeof(rel), "quota/%s", name) ;
    putfile(rel, "junk\n") ;
    CHECK(maildirsize_status_over(dfd, "example.test/demo", 100, time(0)) == 0, "status: malformed file: not over") ;
  }
  CHECK(maildirsize_status_clear(dfd, "example.test/demo") && maildirsize_status_over(dfd, "example.test/demo", 100, time(0)) == 0,
    "status: cleared") ;
  CHECK(maildirsize_status_clear(dfd, "example.test/demo"), "status: clearing twice is fine") ;
  close(dfd) ;
}

static void test_user_quota (void)
{
  uint64_t q = 7 ;
  CHECK(rcpt_user_quota(P("maildir=a/b\0"), &q) && q == 0, "user quota: none") ;
  CHECK(rcpt_user_quota(P("maildir=a/b\0quota=5368709120\0"), &q) && q == 5368709120ULL, "user quota: read") ;
  CHECK(rcpt_user_quota(P("quota=0\0maildir=a/b\0"), &q) && q == 0, "user quota: 0 is none") ;
  CHECK(rcpt_user_quota(P("quota=18446744073709551615\0"), &q) && q == UINT64_MAX, "user quota: largest") ;
  CHECK(!rcpt_user_quota(P("quota=18446744073709551616\0"), &q) && errno == EINVAL, "user quota: overflow refused") ;
  CHECK(!rcpt_user_quota(P("quota=\0"), &q), "user quota: empty refused") ;
  CHECK(!rcpt_user_quota(P("quota=5G\0"), &q), "user quota: units refused (bytes only)") ;
  CHECK(!rcpt_user_quota(P("quota=-1\0"), &q), "user quota: sign refused") ;
  CHECK(!rcpt_user_quota(P("quota=1\0quota=2\0"), &q), "user quota: twice refused") ;
  CHECK(!rcpt_user_quota(P("quota=1"), &q), "user quota: value not NUL-terminated refused") ;
  CHECK(rcpt_user_quota(P("quotas=1\0"), &q) && q == 0, "user quota: other field names ignored") ;
}

int main (void)
{
  char tmpl[] = "/tmp/test_maildirsize.XXXXXX" ;
  if (!mkdtemp(tmpl)) { perror("mkdtemp") ; return 111 ; }
  snprintf(root, sizeof(root), "%s", tmpl) ;
  test_parse() ;
  test_fmt() ;
  make_maildir() ;
  test_scan() ;
  test_recalc_usage() ;
  test_append() ;
  test_recalc_race() ;
  test_status() ;
  test_user_quota() ;
  {
    char cmd[300] ;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root) ;
    if (system(cmd)) return 111 ;
  }
  return check_done() ;
}

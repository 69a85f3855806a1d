/* ISC license. */

/* Unit tests for duplicate suppression in common/maildir:
 * maildir_oncename, maildir_deliver_once (first delivery, a repeat, a
 * repeat after new/ -> cur/, after the user deleted the copy, after an
 * interrupted write, while another process writes, racing processes,
 * fsync failures) and maildir_once_sweep (age, lock, stamp, bound). */

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "tests/unit/check.h"

static char root[256] ;
static int rootfd ;

 /* fsync interposed: counted, and made to fail on one directory */
static unsigned int fsync_count = 0 ;
static ino_t fsync_fail_ino = 0 ;

int fsync (int fd)
{
  struct stat st ;
  fsync_count++ ;
  if (fsync_fail_ino && !fstat(fd, &st) && st.st_ino == fsync_fail_ino) return (errno = EIO, -1) ;
  return (int)syscall(SYS_fsync, fd) ;
}

static void path_of (char *buf, size_t max, char const *rel)
{
  snprintf(buf, max, "%s/%s", root, rel) ;
}

static int count_entries (char const *rel)
{
  char path[1024] ;
  DIR *d ;
  struct dirent *e ;
  int n = 0 ;
  path_of(path, sizeof(path), rel) ;
  d = opendir(path) ;
  if (!d) return -1 ;
  while ((e = readdir(d))) if (e->d_name[0] != '.') n++ ;
  closedir(d) ;
  return n ;
}

 /* the one entry of a directory not starting with '.' */
static int only_entry (char const *rel, char *name, size_t max)
{
  char path[1024] ;
  DIR *d ;
  struct dirent *e ;
  int n = 0 ;
  path_of(path, sizeof(path), rel) ;
  d = opendir(path) ;
  if (!d) return 0 ;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') { n++ ; snprintf(name, max, "%s", e->d_name) ; }
  closedir(d) ;
  return n == 1 ;
}

static int stat_rel (char const *rel, struct stat *st)
{
  char path[1024] ;
  path_of(path, sizeof(path), rel) ;
  return !lstat(path, st) ;
}

static size_t slurp_rel (char const *rel, char *buf, size_t max)
{
  char path[1024] ;
  int fd ;
  ssize_t r ;
  path_of(path, sizeof(path), rel) ;
  fd = open(path, O_RDONLY) ;
  if (fd < 0) return (size_t)-1 ;
  r = read(fd, buf, max - 1) ;
  close(fd) ;
  if (r < 0) return (size_t)-1 ;
  buf[r] = 0 ;
  return r ;
}

static void write_rel (char const *rel, char const *s)
{
  char path[1024] ;
  int fd ;
  path_of(path, sizeof(path), rel) ;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ;
  if (fd < 0) return ;
  if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {}
  close(fd) ;
}

static void set_mtime_rel (char const *rel, time_t t)
{
  char path[1024] ;
  struct timespec ts[2] = { { .tv_sec = t, .tv_nsec = 0 }, { .tv_sec = t, .tv_nsec = 0 } } ;
  path_of(path, sizeof(path), rel) ;
  utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) ;
}

static int make_msgfd (char const *s)
{
  char tmpl[] = "/tmp/test_maildir_once_msg.XXXXXX" ;
  int fd = mkstemp(tmpl) ;
  if (fd < 0) return -1 ;
  unlink(tmpl) ;
  if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) return -1 ;
  return fd ;
}

static char const msg[] = "Subject: once\n\nbody\n" ;
static char const hdr[] = "Return-Path: <a@b>\nDelivered-To: u@once.test\n" ;

static int deliver (char const *maildir, char const *folder, char const *name, int msgfd, stralloc *where)
{
  where->len = 0 ;
  return maildir_deliver_once(rootfd, maildir, folder, "mx.once", hdr, sizeof(hdr) - 1, msgfd, 0, name, where) ;
}

static void test_names (void)
{
  char a[MAILDIR_ONCENAME_MAX + 1], b[MAILDIR_ONCENAME_MAX + 1], c[MAILDIR_ONCENAME_MAX + 1] ;
  char longqid[MAILDIR_QID_MAX + 2] ;
  regex_t re ;
  size_t n = maildir_oncename(a, "0abcDEF12345", "r\0u@x\0", 6) ;
  regcomp(&re, "^0abcDEF12345\\.[0-9a-f]{16}$", REG_EXTENDED | REG_NOSUB) ;
  CHECK(n == strlen(a) && !regexec(&re, a, 0, 0, 0), "name: <qid>.<16 lower-case hex>") ;
  regfree(&re) ;
  maildir_oncename(b, "0abcDEF12345", "r\0u@x\0", 6) ;
  CHECK(!strcmp(a, b), "name: the same (qid, key) gives the same name") ;
  maildir_oncename(c, "0abcDEF12345", "r\0u@y\0", 6) ;
  CHECK(strcmp(a, c) != 0, "name: another key, another name") ;
  maildir_oncename(c, "0abcDEF12346", "r\0u@x\0", 6) ;
  CHECK(strcmp(a + 13, c + 13) == 0 && strcmp(a, c) != 0, "name: another qid, another name") ;
  maildir_oncename(c, "0abcDEF12345", "r\0u@x", 5) ;
  CHECK(strcmp(a, c) != 0, "name: the whole key counts (a NUL less differs)") ;
  CHECK(!maildir_oncename(c, "", "k", 1) && !maildir_oncename(c, "ab/cd", "k", 1) && !maildir_oncename(c, "ab.cd", "k", 1),
     "name: empty qid, '/' or '.' in it refused") ;
  memset(longqid, 'a', MAILDIR_QID_MAX + 1) ;
  longqid[MAILDIR_QID_MAX + 1] = 0 ;
  CHECK(!maildir_oncename(c, longqid, "k", 1), "name: qid over MAILDIR_QID_MAX refused") ;
  longqid[MAILDIR_QID_MAX] = 0 ;
  CHECK(maildir_oncename(c, longqid, "k", 1) == MAILDIR_ONCENAME_MAX && maildir_oncename_is(c), "name: longest qid fits MAILDIR_ONCENAME_MAX") ;
  CHECK(maildir_oncename_is(a), "is: accepts what maildir_oncename writes") ;
  CHECK(!maildir_oncename_is("1700000000.M123P45Q1.host") && !maildir_oncename_is("1700000000.12345.host")
     && !maildir_oncename_is(MAILDIR_SWEEP_STAMP) && !maildir_oncename_is("q.0123456789ABCDEF")
     && !maildir_oncename_is("q.0123456789abcde") && !maildir_oncename_is("q.0123456789abcdef0")
     && !maildir_oncename_is(".0123456789abcdef") && !maildir_oncename_is("q/x.0123456789abcdef"),
     "is: other tmp/ names, the stamp, bad hex or lengths refused") ;
}

static void test_first_and_repeat (void)
{
  stralloc where = STRALLOC_ZERO ;
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  char rel[512], buf[4096], expect[4096], newname[256] ;
  struct stat st, st2 ;
  regex_t re ;
  int msgfd = make_msgfd(msg) ;
  int r ;

  maildir_oncename(name, "0QidA000001", "demo\0u@once.test\0", 17) ;
  r = maildir_make(rootfd, "once.test/u", "") ;   /* its own fsyncs apart */
  if (r >= 0) close(r) ;
  fsync_count = 0 ;
  r = deliver("once.test/u", "", name, msgfd, &where) ;
  CHECK(r == 1, "once: first delivery writes (1)") ;
  if (r != 1) { printf("  errno %d %s\n", errno, strerror(errno)) ; return ; }
  CHECK(!strncmp(where.s, "once.test/u/new/", 16), "once: where names the new/ file") ;
  regcomp(&re, "^[0-9]+\\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\\.mx\\.once,S=[0-9]+$", REG_EXTENDED | REG_NOSUB) ;
  CHECK(!regexec(&re, where.s + 16, 0, 0, 0), "once: the new/ name is Postfix-style as before") ;
  regfree(&re) ;
  snprintf(expect, sizeof(expect), "%s%s", hdr, msg) ;
  CHECK(slurp_rel(where.s, buf, sizeof(buf)) == strlen(expect) && !strcmp(buf, expect), "once: content = headers + message") ;
  CHECK(strstr(where.s, ",S=") && (size_t)atoi(strstr(where.s, ",S=") + 3) == strlen(expect), "once: S= is the size") ;
  snprintf(rel, sizeof(rel), "once.test/u/tmp/%s", name) ;
  CHECK(stat_rel(rel, &st) && stat_rel(where.s, &st2) && st.st_ino == st2.st_ino && st.st_nlink == 2 && (st.st_mode & 0777) == 0600,
     "once: tmp/<name> stays, a hard link to the new file (2 links, 0600)") ;
  CHECK(fsync_count == 2, "once: two fsyncs as before (the file, new/), none extra") ;
  CHECK(lseek(msgfd, 0, SEEK_CUR) == (off_t)strlen(msg), "once: message fd position untouched") ;

  fsync_count = 0 ;
  r = deliver("once.test/u", "", name, msgfd, &where) ;
  CHECK(r == 2 && count_entries("once.test/u/new") == 1, "once: a repeat writes nothing (2), new/ still holds one file") ;
  CHECK(!strcmp(where.s, "once.test/u"), "once: a repeat's where is the Maildir") ;
  CHECK(fsync_count == 1, "once: a repeat fsyncs new/ (the first attempt may have died before it did)") ;

   /* an IMAP client moves it to cur/ and sets a flag: rename keeps the links */
  only_entry("once.test/u/new", newname, sizeof(newname)) ;
  {
    char from[1024], to[1024] ;
    snprintf(from, sizeof(from), "%s/once.test/u/new/%s", root, newname) ;
    snprintf(to, sizeof(to), "%s/once.test/u/cur/%s:2,S", root, newname) ;
    CHECK(!rename(from, to), "once: (new/ -> cur/ rename by the reader)") ;
    r = deliver("once.test/u", "", name, msgfd, &where) ;
    CHECK(r == 2 && count_entries("once.test/u/new") == 0 && count_entries("once.test/u/cur") == 1, "once: after new/ -> cur/, still suppressed") ;
     /* the user deletes it: one link left, a repeat delivers again */
    unlink(to) ;
  }
  r = deliver("once.test/u", "", name, msgfd, &where) ;
  CHECK(r == 1 && count_entries("once.test/u/new") == 1 && stat_rel(rel, &st) && st.st_nlink == 2,
     "once: after the user deleted it, a repeat delivers again (documented)") ;

   /* another destination of the same message in the same Maildir: its own copy */
  {
    char other[MAILDIR_ONCENAME_MAX + 1] ;
    maildir_oncename(other, "0QidA000001", "demo\0u+x@once.test\0", 19) ;
    r = deliver("once.test/u", "", other, msgfd, &where) ;
    CHECK(r == 1 && count_entries("once.test/u/new") == 2 && count_entries("once.test/u/tmp") == 2, "once: another key in the same Maildir gets its own copy") ;
  }
   /* a folder */
  r = deliver("once.test/u", "Junk", name, msgfd, &where) ;
  CHECK(r == 1 && !strncmp(where.s, "once.test/u/.Junk/new/", 22), "once: into a folder, its own tmp/") ;
  r = deliver("once.test/u", "Junk", name, msgfd, &where) ;
  CHECK(r == 2 && !strcmp(where.s, "once.test/u/.Junk") && count_entries("once.test/u/.Junk/new") == 1, "once: a repeat into the folder suppressed") ;

  errno = 0 ;
  CHECK(!deliver("once.test/u", "", "not/a-name", msgfd, &where) && errno == EINVAL, "once: a name not of the form refused (EINVAL)") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static void test_leftovers (void)
{
  stralloc where = STRALLOC_ZERO ;
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  char rel[512], buf[4096], expect[4096] ;
  struct stat st ;
  int msgfd = make_msgfd(msg) ;
  int fd, r ;

  snprintf(expect, sizeof(expect), "%s%s", hdr, msg) ;
  fd = maildir_make(rootfd, "once.test/v", "") ;
  if (fd >= 0) close(fd) ;

   /* interrupted write: one link, partial content */
  maildir_oncename(name, "0QidB000001", "k1", 2) ;
  snprintf(rel, sizeof(rel), "once.test/v/tmp/%s", name) ;
  write_rel(rel, "Return-Path: <a@") ;
  r = deliver("once.test/v", "", name, msgfd, &where) ;
  CHECK(r == 1 && count_entries("once.test/v/new") == 1 && slurp_rel(where.s, buf, sizeof(buf)) == strlen(expect) && !strcmp(buf, expect),
     "leftover: an interrupted write (1 link) is replaced and delivered whole") ;
  CHECK(stat_rel(rel, &st) && st.st_nlink == 2 && st.st_size == (off_t)strlen(expect), "leftover: the tmp/ name is the new file now") ;

   /* two links but another size: not what this delivery would write */
  maildir_oncename(name, "0QidB000002", "k2", 2) ;
  snprintf(rel, sizeof(rel), "once.test/v/tmp/%s", name) ;
  write_rel(rel, "short") ;
  {
    char a[1024], b[1024] ;
    path_of(a, sizeof(a), rel) ;
    path_of(b, sizeof(b), "once.test/v/cur/elsewhere") ;
    if (link(a, b)) {}
  }
  r = deliver("once.test/v", "", name, msgfd, &where) ;
  CHECK(r == 1 && count_entries("once.test/v/new") == 2 && stat_rel("once.test/v/cur/elsewhere", &st) && st.st_size == 5,
     "leftover: 2 links but another size: delivered anew, the other file untouched") ;

   /* a symlink where the name should be */
  maildir_oncename(name, "0QidB000003", "k3", 2) ;
  {
    char a[1024] ;
    snprintf(rel, sizeof(rel), "once.test/v/tmp/%s", name) ;
    path_of(a, sizeof(a), rel) ;
    if (symlink("/etc/passwd", a)) {}
  }
  r = deliver("once.test/v", "", name, msgfd, &where) ;
  CHECK(r == 1 && stat_rel(rel, &st) && S_ISREG(st.st_mode) && st.st_nlink == 2, "leftover: a symlink is removed, never followed") ;

   /* a directory where the name should be: a temporary failure */
  maildir_oncename(name, "0QidB000004", "k4", 2) ;
  {
    char a[1024] ;
    snprintf(rel, sizeof(rel), "once.test/v/tmp/%s", name) ;
    path_of(a, sizeof(a), rel) ;
    mkdir(a, 0700) ;
  }
  r = deliver("once.test/v", "", name, msgfd, &where) ;
  CHECK(!r && count_entries("once.test/v/new") == 3, "leftover: a directory at the name fails, nothing written") ;

   /* a writer at work: its lock is held */
  maildir_oncename(name, "0QidB000005", "k5", 2) ;
  snprintf(rel, sizeof(rel), "once.test/v/tmp/%s", name) ;
  write_rel(rel, "Return-Path") ;
  {
    char a[1024] ;
    int lfd ;
    path_of(a, sizeof(a), rel) ;
    lfd = open(a, O_RDONLY) ;
    CHECK(lfd >= 0 && !flock(lfd, LOCK_EX), "busy: (another open file holds the lock)") ;
    errno = 0 ;
    r = deliver("once.test/v", "", name, msgfd, &where) ;
    CHECK(!r && errno == EALREADY && count_entries("once.test/v/new") == 3 && stat_rel(rel, &st) && st.st_size == 11,
       "busy: a locked file is left alone, EALREADY, nothing written") ;
    close(lfd) ;
  }
  r = deliver("once.test/v", "", name, msgfd, &where) ;
  CHECK(r == 1 && count_entries("once.test/v/new") == 4, "busy: once the writer is gone, delivered") ;

  close(msgfd) ;
  stralloc_free(&where) ;
}

static void test_fsync_failure (void)
{
  stralloc where = STRALLOC_ZERO ;
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  char rel[512] ;
  struct stat st ;
  int msgfd = make_msgfd(msg) ;
  int fd = maildir_make(rootfd, "once.test/w", "") ;
  if (fd >= 0) close(fd) ;
  maildir_oncename(name, "0QidC000001", "k", 1) ;
  snprintf(rel, sizeof(rel), "once.test/w/tmp/%s", name) ;
  if (stat_rel("once.test/w/new", &st)) fsync_fail_ino = st.st_ino ;
  errno = 0 ;
  CHECK(!deliver("once.test/w", "", name, msgfd, &where) && errno == EIO, "fsync: new/ not synced: failure") ;
  fsync_fail_ino = 0 ;
  CHECK(count_entries("once.test/w/new") == 0 && !stat_rel(rel, &st), "fsync: both names taken back (a retry writes again)") ;
  CHECK(deliver("once.test/w", "", name, msgfd, &where) == 1 && count_entries("once.test/w/new") == 1, "fsync: the retry delivers") ;

   /* the first attempt died after link(), before its fsync of new/:
      the repeat must not answer before new/ is synced */
  maildir_oncename(name, "0QidC000002", "k", 1) ;
  CHECK(deliver("once.test/w", "", name, msgfd, &where) == 1, "fsync: (a published copy)") ;
  if (stat_rel("once.test/w/new", &st)) fsync_fail_ino = st.st_ino ;
  errno = 0 ;
  CHECK(!deliver("once.test/w", "", name, msgfd, &where) && errno == EIO, "fsync: a repeat that cannot sync new/ fails") ;
  fsync_fail_ino = 0 ;
  CHECK(deliver("once.test/w", "", name, msgfd, &where) == 2 && count_entries("once.test/w/new") == 2, "fsync: and suppresses once it can") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

 /* Processes delivering the same (message, destination) at once: one
    copy, whatever the interleaving; each process answers written (1),
    found (2) or busy (0, EALREADY). */
static void test_race (void)
{
  enum { PROCS = 8, ROUNDS = 20 } ;
  int copies_ok = 1, answers_ok = 1, written_once = 1 ;
  for (unsigned int round = 0 ; round < ROUNDS ; round++)
  {
    char name[MAILDIR_ONCENAME_MAX + 1] ;
    char qid[32], md[64] ;
    pid_t pids[PROCS] ;
    int written = 0 ;
    snprintf(qid, sizeof(qid), "0QidR%07u", round) ;
    snprintf(md, sizeof(md), "once.test/race%u", round % 3) ;
    maildir_oncename(name, qid, "k", 1) ;
    for (unsigned int i = 0 ; i < PROCS ; i++)
    {
      pids[i] = fork() ;
      if (!pids[i])
      {
        stralloc where = STRALLOC_ZERO ;
        int msgfd = make_msgfd(msg) ;
        int r = deliver(md, "", name, msgfd, &where) ;
        _exit(r == 1 ? 1 : r == 2 ? 2 : errno == EALREADY ? 3 : 4) ;
      }
    }
    for (unsigned int i = 0 ; i < PROCS ; i++)
    {
      int wstat ;
      if (waitpid(pids[i], &wstat, 0) != pids[i] || !WIFEXITED(wstat)) { answers_ok = 0 ; continue ; }
      switch (WEXITSTATUS(wstat))
      {
        case 1 : written++ ; break ;
        case 2 : case 3 : break ;
        default : answers_ok = 0 ;
      }
    }
    if (written > 1) written_once = 0 ;
    {
      stralloc where = STRALLOC_ZERO ;
      int msgfd = make_msgfd(msg) ;
      int r = deliver(md, "", name, msgfd, &where) ;
      if (r != (written ? 2 : 1)) copies_ok = 0 ;
      close(msgfd) ;
      stralloc_free(&where) ;
    }
  }
  CHECK(answers_ok, "race: every racer answers written, found or busy") ;
  CHECK(written_once, "race: at most one racer writes") ;
  CHECK(copies_ok && count_entries("once.test/race0/new") + count_entries("once.test/race1/new") + count_entries("once.test/race2/new") == ROUNDS,
     "race: one copy per (message, destination), and a later repeat finds it") ;
}

static void test_sweep (void)
{
  stralloc where = STRALLOC_ZERO ;
  char name[MAILDIR_ONCENAME_MAX + 1] ;
  char rel[512] ;
  struct stat st ;
  time_t now = time(0) ;
  unsigned int window = 3600 ;
  int msgfd = make_msgfd(msg) ;
  int r ;

   /* an old record, a young one, another kind of name, a locked old one */
  maildir_oncename(name, "0QidS000001", "old", 3) ;
  deliver("once.test/s", "", name, msgfd, &where) ;
  snprintf(rel, sizeof(rel), "once.test/s/tmp/%s", name) ;
  set_mtime_rel(rel, now - window - 10) ;
  maildir_oncename(name, "0QidS000002", "young", 5) ;
  deliver("once.test/s", "", name, msgfd, &where) ;
  write_rel("once.test/s/tmp/1700000000.M1P2Q3.host", "x") ;
  set_mtime_rel("once.test/s/tmp/1700000000.M1P2Q3.host", now - window - 10) ;
  maildir_oncename(name, "0QidS000003", "locked", 6) ;
  snprintf(rel, sizeof(rel), "once.test/s/tmp/%s", name) ;
  write_rel(rel, "writing") ;
  set_mtime_rel(rel, now - window - 10) ;

  CHECK(maildir_once_sweep(rootfd, "once.test/s", "", window, now) == 0 && count_entries("once.test/s/tmp") == 4,
     "sweep: first call creates the stamp, sweeps nothing yet") ;
  CHECK(stat_rel("once.test/s/tmp/" MAILDIR_SWEEP_STAMP, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "sweep: stamp file 0600 in tmp/") ;
  set_mtime_rel("once.test/s/tmp/" MAILDIR_SWEEP_STAMP, now - window / 4 - 1) ;
  {
    char a[1024] ;
    int lfd ;
    path_of(a, sizeof(a), rel) ;
    lfd = open(a, O_RDONLY) ;
    flock(lfd, LOCK_EX) ;
    r = maildir_once_sweep(rootfd, "once.test/s", "", window, now) ;
    close(lfd) ;
  }
  CHECK(r == 1 && count_entries("once.test/s/tmp") == 3, "sweep: stamp older than window/4: the old record removed, nothing else") ;
  CHECK(stat_rel(rel, &st), "sweep: a locked old record (a live writer) is kept") ;
  CHECK(stat_rel("once.test/s/tmp/1700000000.M1P2Q3.host", &st), "sweep: other names are not ours to remove") ;
  CHECK(count_entries("once.test/s/new") == 2, "sweep: the delivered files stay in new/") ;
  CHECK(stat_rel("once.test/s/tmp/" MAILDIR_SWEEP_STAMP, &st) && st.st_mtime == now, "sweep: stamp renewed") ;
  CHECK(maildir_once_sweep(rootfd, "once.test/s", "", window, now + window / 4 - 1) == 0 && stat_rel(rel, &st),
     "sweep: a fresh stamp: no sweep") ;
  CHECK(maildir_once_sweep(rootfd, "once.test/s", "", window, now + window / 4 + 1) == 1 && !stat_rel(rel, &st),
     "sweep: next interval, the record unlocked: removed") ;
  set_mtime_rel("once.test/s/tmp/" MAILDIR_SWEEP_STAMP, now + 2 * window) ;
  CHECK(maildir_once_sweep(rootfd, "once.test/s", "", window, now + 2 * window + window + 5) == 1 && count_entries("once.test/s/tmp") == 1,
     "sweep: a stamp in the future counts as old; the young record ages out") ;

   /* bounded: more entries than one sweep reads */
  {
    int fd = maildir_make(rootfd, "once.test/big", "") ;
    int tfd = openat(fd, "tmp", O_RDONLY | O_DIRECTORY) ;
    unsigned int total = MAILDIR_SWEEP_READ + 500 ;
    struct timespec ts[2] = { { .tv_sec = now - window - 10, .tv_nsec = 0 }, { .tv_sec = now - window - 10, .tv_nsec = 0 } } ;
    int left1, left2 ;
    for (unsigned int i = 0 ; i < total ; i++)
    {
      char q[32] ;
      int f ;
      snprintf(q, sizeof(q), "0QidBig%06u", i) ;
      maildir_oncename(name, q, "k", 1) ;
      f = openat(tfd, name, O_WRONLY | O_CREAT, 0600) ;
      if (f >= 0) { futimens(f, ts) ; close(f) ; }
    }
    close(tfd) ;
    close(fd) ;
    now = time(0) ;   /* creating them took a while */
    maildir_once_sweep(rootfd, "once.test/big", "", window, now) ;   /* creates the stamp */
    set_mtime_rel("once.test/big/tmp/" MAILDIR_SWEEP_STAMP, now - window) ;
    r = maildir_once_sweep(rootfd, "once.test/big", "", window, now) ;
    left1 = count_entries("once.test/big/tmp") ;
    CHECK(r > 0 && r <= MAILDIR_SWEEP_READ && left1 > 0 && (unsigned int)left1 + r == total, "sweep: one sweep reads at most MAILDIR_SWEEP_READ entries") ;
    CHECK(stat_rel("once.test/big/tmp/" MAILDIR_SWEEP_STAMP, &st) && st.st_mtime == now - window / 4 + MAILDIR_SWEEP_AGAIN,
       "sweep: stopped at the bound, the next is due after MAILDIR_SWEEP_AGAIN") ;
    CHECK(maildir_once_sweep(rootfd, "once.test/big", "", window, now + MAILDIR_SWEEP_AGAIN - 1) == 0, "sweep: not before") ;
    r = maildir_once_sweep(rootfd, "once.test/big", "", window, now + MAILDIR_SWEEP_AGAIN) ;
    left2 = count_entries("once.test/big/tmp") ;
    CHECK(r == left1 && left2 == 0, "sweep: the next sweep takes the rest") ;
  }
  errno = 0 ;
  CHECK(maildir_once_sweep(rootfd, "once.test/none", "", window, now) == -1 && errno == ENOENT, "sweep: no such Maildir: -1 ENOENT") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

int main (void)
{
  char tmpl[] = "/tmp/test_maildir_once.XXXXXX" ;
  if (!mkdtemp(tmpl)) { perror("mkdtemp") ; return 111 ; }
  snprintf(root, sizeof(root), "%s/mail", tmpl) ;
  mkdir(root, 0700) ;
  rootfd = open(root, O_RDONLY | O_DIRECTORY) ;
  if (rootfd < 0) { perror("open") ; return 111 ; }

  test_names() ;
  test_first_and_repeat() ;
  test_leftovers() ;
  test_fsync_failure() ;
  test_race() ;
  test_sweep() ;

  close(rootfd) ;
  {
    char cmd[512] ;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl) ;
    if (system(cmd)) {}
  }
  return check_done() ;
}

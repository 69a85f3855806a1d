/* ISC license. */

/* Unit tests for common/maildir: names, contents, layout, EEXIST retry,
 * failure clean-up, path and folder validation, +tag folder lookup. */

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "tests/unit/check.h"

static char root[256] ;
static int rootfd ;

static int count_entries (char const *dir)
{
  char path[512] ;
  DIR *d ;
  struct dirent *e ;
  int n = 0 ;
  snprintf(path, sizeof(path), "%s/%s", root, dir) ;
  d = opendir(path) ;
  if (!d) return -1 ;
  while ((e = readdir(d))) if (e->d_name[0] != '.') n++ ;
  closedir(d) ;
  return n ;
}

static int is_dir_mode (char const *rel, unsigned int mode)
{
  char path[512] ;
  struct stat st ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  return !stat(path, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode ;
}

static int exists (char const *rel)
{
  char path[512] ;
  struct stat st ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  return !lstat(path, &st) ;
}

static int make_msgfd (char const *s)
{
  char tmpl[] = "/tmp/test_maildir_msg.XXXXXX" ;
  int fd = mkstemp(tmpl) ;
  if (fd < 0) return -1 ;
  unlink(tmpl) ;
  if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) return -1 ;
  return fd ;
}

static size_t slurp_rel (char const *rel, char *buf, size_t max)
{
  char path[512] ;
  int fd ;
  ssize_t r ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  fd = open(path, O_RDONLY) ;
  if (fd < 0) return (size_t)-1 ;
  r = read(fd, buf, max - 1) ;
  close(fd) ;
  if (r < 0) return (size_t)-1 ;
  buf[r] = 0 ;
  return r ;
}

static void test_validators (void)
{
  CHECK(maildir_path_valid("example.test/alice", 18), "path: domain/user valid") ;
  CHECK(!maildir_path_valid("", 0), "path: empty refused") ;
  CHECK(!maildir_path_valid("/etc/passwd", 11), "path: absolute refused") ;
  CHECK(!maildir_path_valid("a/../../etc", 11), "path: .. refused") ;
  CHECK(!maildir_path_valid("..", 2), "path: bare .. refused") ;
  CHECK(!maildir_path_valid("a/./b", 5), "path: . refused") ;
  CHECK(!maildir_path_valid("a//b", 4), "path: empty component refused") ;
  CHECK(!maildir_path_valid("a/b/", 4), "path: trailing slash refused") ;
  CHECK(!maildir_path_valid("a/b\nc", 5), "path: control byte refused") ;
  CHECK(maildir_path_valid("a/..b/c.", 8), "path: dots inside names allowed") ;
  CHECK(maildir_folder_valid("Work", 4), "folder: Work valid") ;
  CHECK(maildir_folder_valid("Lists.foo", 9), "folder: hierarchy valid") ;
  CHECK(!maildir_folder_valid("a/b", 3), "folder: slash refused") ;
  CHECK(!maildir_folder_valid("..", 2), "folder: .. refused") ;
  CHECK(!maildir_folder_valid(".x", 2), "folder: leading dot refused") ;
  CHECK(!maildir_folder_valid("x.", 2), "folder: trailing dot refused") ;
  CHECK(!maildir_folder_valid("a..b", 4), "folder: empty level refused") ;
  CHECK(!maildir_folder_valid("INBOX", 5) && !maildir_folder_valid("inbox", 5), "folder: INBOX refused") ;
  CHECK(!maildir_folder_valid("", 0), "folder: empty refused") ;
}

static void test_host (void)
{
  stralloc sa = STRALLOC_ZERO ;
  char longhost[400] ;
  CHECK(maildir_host_escape("mx/1:2,3.example", &sa) && !strcmp(sa.s, "mx\\0571\\0722\\0543.example"), "host: / : , escaped as octal") ;
  sa.len = 0 ;
  CHECK(maildir_host_escape("", &sa) && !strcmp(sa.s, "localhost"), "host: empty becomes localhost") ;
  sa.len = 0 ;
  memset(longhost, '/', sizeof(longhost) - 1) ;
  longhost[sizeof(longhost) - 1] = 0 ;
  CHECK(maildir_host_escape(longhost, &sa) && strlen(sa.s) <= MAILDIR_HOST_MAX && strlen(sa.s) % 4 == 0, "host: long name cut, never inside an escape") ;
  stralloc_free(&sa) ;
}

static void test_deliver_inbox (void)
{
  stralloc where = STRALLOC_ZERO ;
  char const *msg = "Subject: hi\n\nbody line\n" ;
  char const *hdr = "Return-Path: <a@b>\nDelivered-To: alice@example.test\n" ;
  char buf[4096] ;
  char expect[4096] ;
  regex_t re ;
  struct stat st ;
  int msgfd = make_msgfd(msg) ;
  int ok ;
  char const *base ;
  unsigned long long size = 0 ;

   /* the file position is at the end: delivery must not depend on it */
  ok = maildir_deliver(rootfd, "example.test/alice", "", "mx.example\\072x", hdr, strlen(hdr), msgfd, 0, &where) ;
  CHECK(ok, "deliver: INBOX delivery succeeds") ;
  if (!ok) { printf("  errno %d %s\n", errno, strerror(errno)) ; return ; }
  CHECK(!strncmp(where.s, "example.test/alice/new/", 23), "deliver: where names the new/ file") ;
  base = where.s + 23 ;
  regcomp(&re, "^[0-9]+\\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\\.mx\\.example\\\\072x,S=[0-9]+$", REG_EXTENDED | REG_NOSUB) ;
  CHECK(!regexec(&re, base, 0, 0, 0), "deliver: name matches <sec>.V<dev>I<ino>M<usec>.<host>,S=<size>") ;
  regfree(&re) ;
  snprintf(expect, sizeof(expect), "%s%s", hdr, msg) ;
  CHECK(slurp_rel(where.s, buf, sizeof(buf)) == strlen(expect) && !strcmp(buf, expect), "deliver: content = headers + message (read from offset 0)") ;
  {
    char const *s = strstr(base, ",S=") ;
    if (s) size = strtoull(s + 3, 0, 10) ;
  }
  CHECK(size == strlen(expect), "deliver: S= is the file size") ;
  snprintf(buf, sizeof(buf), "%s/%s", root, where.s) ;
  CHECK(!stat(buf, &st) && (st.st_mode & 0777) == 0600, "deliver: message file mode 0600") ;
  {
    char vi[128] ;
    snprintf(vi, sizeof(vi), ".V%llxI%llxM", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino) ;
    CHECK(strstr(base, vi) != 0, "deliver: V and I are the file's dev and inode in hex") ;
  }
  CHECK(is_dir_mode("example.test", 0700) && is_dir_mode("example.test/alice", 0700)
     && is_dir_mode("example.test/alice/cur", 0700) && is_dir_mode("example.test/alice/new", 0700)
     && is_dir_mode("example.test/alice/tmp", 0700), "deliver: missing dirs created with mode 0700") ;
  CHECK(!exists("example.test/alice/maildirfolder"), "deliver: INBOX has no maildirfolder file") ;
  CHECK(count_entries("example.test/alice/tmp") == 0, "deliver: tmp/ empty afterwards") ;
  CHECK(lseek(msgfd, 0, SEEK_CUR) == (off_t)strlen(msg), "deliver: message fd position untouched") ;

  where.len = 0 ;
  CHECK(maildir_deliver(rootfd, "example.test/alice", "", "h", "", 0, msgfd, 0, &where)
     && count_entries("example.test/alice/new") == 2, "deliver: second delivery gets a distinct name") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static void test_deliver_folder (void)
{
  stralloc where = STRALLOC_ZERO ;
  int msgfd = make_msgfd("x\n") ;
  int ok = maildir_deliver(rootfd, "example.test/bob", "Lists.foo", "h", "H: 1\n", 5, msgfd, 0, &where) ;
  CHECK(ok && !strncmp(where.s, "example.test/bob/.Lists.foo/new/", 32), "folder: delivered into .Lists.foo/new") ;
  CHECK(exists("example.test/bob/.Lists.foo/maildirfolder") && is_dir_mode("example.test/bob/.Lists.foo/cur", 0700)
     && is_dir_mode("example.test/bob/.Lists.foo/tmp", 0700) && is_dir_mode("example.test/bob/cur", 0700),
     "folder: folder and INBOX dirs and maildirfolder created") ;
  where.len = 0 ;
  errno = 0 ;
  CHECK(!maildir_deliver(rootfd, "example.test/bob", "../x", "h", "", 0, msgfd, 0, &where) && errno == EINVAL, "folder: bad folder name refused") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static void precreate_tmp (struct timeval const *tv, char const *host, unsigned int ahead)
{
  char name[MAILDIR_FOLDER_MAX + 1] ;
  char path[1024] ;
  int fd ;
  maildir_tmpname(name, tv, host, ahead) ;
  snprintf(path, sizeof(path), "%s/example.test/carol/tmp/%s", root, name) ;
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) ;
  if (fd >= 0) { if (write(fd, "stale", 5) != 5) {} close(fd) ; }
}

static void test_eexist (void)
{
  stralloc where = STRALLOC_ZERO ;
  struct timeval tv = { .tv_sec = 1700000000, .tv_usec = 123456 } ;
  int msgfd = make_msgfd("m\n") ;
  int ok ;
  int fd = maildir_make(rootfd, "example.test/carol", "") ;
  CHECK(fd >= 0, "eexist: maildir_make creates the Maildir") ;
  if (fd >= 0) close(fd) ;

  precreate_tmp(&tv, "h", 0) ;
  ok = maildir_deliver(rootfd, "example.test/carol", "", "h", "", 0, msgfd, &tv, &where) ;
  CHECK(ok && count_entries("example.test/carol/new") == 1, "eexist: one collision retried with a fresh name") ;
  CHECK(count_entries("example.test/carol/tmp") == 1, "eexist: the existing tmp file is left alone") ;
  CHECK(ok && strstr(where.s, "new/1700000000.V") && strstr(where.s, "M123456.h,S=2"), "eexist: name uses the given time") ;

  for (unsigned int i = 0 ; i < MAILDIR_TMP_TRIES ; i++) precreate_tmp(&tv, "h", i) ;
  where.len = 0 ;
  errno = 0 ;
  ok = maildir_deliver(rootfd, "example.test/carol", "", "h", "", 0, msgfd, &tv, &where) ;
  CHECK(!ok && errno == EEXIST, "eexist: gives up with EEXIST after MAILDIR_TMP_TRIES names") ;
  CHECK(count_entries("example.test/carol/new") == 1 && count_entries("example.test/carol/tmp") == 1 + MAILDIR_TMP_TRIES, "eexist: nothing added to new/, no tmp file of ours left") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static void test_failures (void)
{
  stralloc where = STRALLOC_ZERO ;
  char big[8192] ;
  struct rlimit old, lim ;
  int msgfd, ok, e ;

  memset(big, 'x', sizeof(big) - 1) ;
  big[sizeof(big) - 1] = 0 ;
  msgfd = make_msgfd(big) ;
   /* a write failure half-way (the mailbox or disk is full): here the
      file size limit, which gives EFBIG like a quota */
  signal(SIGXFSZ, SIG_IGN) ;
  getrlimit(RLIMIT_FSIZE, &old) ;
  lim = old ;
  lim.rlim_cur = 4096 ;
  setrlimit(RLIMIT_FSIZE, &lim) ;
  ok = maildir_deliver(rootfd, "example.test/dave", "", "h", "", 0, msgfd, 0, &where) ;
  e = errno ;
  setrlimit(RLIMIT_FSIZE, &old) ;
  CHECK(!ok && e == EFBIG, "failure: write error reported (EFBIG)") ;
  CHECK(count_entries("example.test/dave/tmp") == 0 && count_entries("example.test/dave/new") == 0, "failure: tmp file removed, nothing in new/") ;
  close(msgfd) ;

  msgfd = open("/dev/null", O_WRONLY) ;
  where.len = 0 ;
  ok = maildir_deliver(rootfd, "example.test/dave", "", "h", "", 0, msgfd, 0, &where) ;
  CHECK(!ok && errno == EBADF && count_entries("example.test/dave/tmp") == 0, "failure: unreadable message fd, tmp removed") ;
  close(msgfd) ;

  msgfd = make_msgfd("m\n") ;
  where.len = 0 ;
  ok = maildir_deliver(rootfd, "../escape", "", "h", "", 0, msgfd, 0, &where) ;
  e = errno ;
  CHECK(!ok && e == EINVAL && !exists("../escape"), "failure: maildir path outside the root refused") ;
  ok = maildir_deliver(rootfd, "/tmp/abs", "", "h", "", 0, msgfd, 0, &where) ;
  CHECK(!ok && errno == EINVAL, "failure: absolute maildir path refused") ;
  ok = maildir_deliver(rootfd, "example.test/dave", "", "a/b", "", 0, msgfd, 0, &where) ;
  CHECK(!ok && errno == EINVAL, "failure: unescaped host refused") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static void mkdir_rel (char const *rel)
{
  char path[512] ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  mkdir(path, 0700) ;
}

static void test_folder_find (void)
{
  stralloc f = STRALLOC_ZERO ;
  int r ;
  mkdir_rel("example.test/erin") ;
  mkdir_rel("example.test/erin/.Work") ;
  mkdir_rel("example.test/erin/.Lists.Foo") ;
  mkdir_rel("example.test/erin/.Both") ;
  mkdir_rel("example.test/erin/.both") ;
  mkdir_rel("example.test/erin/.Abc") ;
  mkdir_rel("example.test/erin/.ABC") ;
  close(open("/dev/null", O_RDONLY)) ;
  {
    char path[512] ;
    int fd ;
    snprintf(path, sizeof(path), "%s/example.test/erin/.plainfile", root) ;
    fd = open(path, O_WRONLY | O_CREAT, 0600) ;
    if (fd >= 0) close(fd) ;
  }
  r = maildir_folder_find(rootfd, "example.test/erin", "work", &f) ;
  CHECK(r == 1 && !strcmp(f.s, "Work"), "find: +work finds .Work (case-insensitive)") ;
  f.len = 0 ;
  r = maildir_folder_find(rootfd, "example.test/erin", "lists.foo", &f) ;
  CHECK(r == 1 && !strcmp(f.s, "Lists.Foo"), "find: +lists.foo finds .Lists.Foo") ;
  f.len = 0 ;
  r = maildir_folder_find(rootfd, "example.test/erin", "both", &f) ;
  CHECK(r == 1 && !strcmp(f.s, "both"), "find: an exact match wins") ;
  f.len = 0 ;
  r = maildir_folder_find(rootfd, "example.test/erin", "abc", &f) ;
  CHECK(r == 1 && !strcmp(f.s, "ABC"), "find: several case matches: the smallest name") ;
  f.len = 0 ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "nope", &f) == 0 && !f.len, "find: missing folder -> INBOX") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "plainfile", &f) == 0, "find: a file is not a folder") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "../bob", &f) == 0, "find: invalid tag -> INBOX") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "inbox", &f) == 0, "find: +inbox -> INBOX") ;
  CHECK(maildir_folder_find(rootfd, "example.test/nobody", "work", &f) == 0, "find: no Maildir yet -> INBOX") ;
  CHECK(maildir_folder_find(rootfd, "../x", "work", &f) == -1 && errno == EINVAL, "find: bad maildir path is an error") ;

   /* special-use folders: outside senders must not fill them */
  mkdir_rel("example.test/erin/.Drafts") ;
  mkdir_rel("example.test/erin/.Sent") ;
  mkdir_rel("example.test/erin/.Trash") ;
  mkdir_rel("example.test/erin/.Junk") ;
  mkdir_rel("example.test/erin/.sent") ;
  mkdir_rel("example.test/erin/.Sent.Old") ;
  f.len = 0 ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "drafts", &f) == 0 && !f.len, "special-use: +drafts -> INBOX, not .Drafts") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "sent", &f) == 0 && !f.len, "special-use: +sent -> INBOX (neither .sent nor .Sent)") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "TRASH", &f) == 0 && !f.len, "special-use: +TRASH -> INBOX (case-insensitive)") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "junk", &f) == 0 && !f.len, "special-use: +junk -> INBOX") ;
  CHECK(maildir_folder_find(rootfd, "example.test/erin", "sent.old", &f) == 1 && !strcmp(f.s, "Sent.Old"), "special-use: a subfolder of Sent is an ordinary folder") ;
  CHECK(maildir_folder_special_use("Sent", 4) && maildir_folder_special_use("dRaFtS", 6) && maildir_folder_special_use("trash", 5)
     && maildir_folder_special_use("Sent Messages", 13) && !maildir_folder_special_use("Work", 4) && !maildir_folder_special_use("Sent2", 5)
     && !maildir_folder_special_use("Sen", 3), "special-use: the list matches whole names ignoring case") ;
  stralloc_free(&f) ;
}

/* fsync(2) interposed: the calls made by skalibs' fd_sync (through the
 * dynamic symbol) are recorded as the dev/ino of the synced file, then
 * made for real. */
#include <sys/syscall.h>
#define FSYNC_LOG_MAX 64
static struct { dev_t dev ; ino_t ino ; } fsync_log[FSYNC_LOG_MAX] ;
static unsigned int fsync_count = 0 ;

int fsync (int fd)
{
  struct stat st ;
  if (fsync_count < FSYNC_LOG_MAX && !fstat(fd, &st))
  {
    fsync_log[fsync_count].dev = st.st_dev ;
    fsync_log[fsync_count].ino = st.st_ino ;
  }
  fsync_count++ ;
  return (int)syscall(SYS_fsync, fd) ;
}

static int was_synced (char const *rel)
{
  char path[512] ;
  struct stat st ;
  snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel) ;
  if (stat(path, &st)) return 0 ;
  for (unsigned int i = 0 ; i < fsync_count && i < FSYNC_LOG_MAX ; i++)
    if (fsync_log[i].dev == st.st_dev && fsync_log[i].ino == st.st_ino) return 1 ;
  return 0 ;
}

 /* Another deliverd created the directories a moment ago and has not
    fsynced their parents yet: we must, before we report success. */
static void test_eexist_durability (void)
{
  stralloc where = STRALLOC_ZERO ;
  int msgfd = make_msgfd("m\n") ;
  int fd ;
  mkdir_rel("race.test") ;
  mkdir_rel("race.test/kate") ;
  mkdir_rel("race.test/kate/cur") ;
  mkdir_rel("race.test/kate/new") ;
  mkdir_rel("race.test/kate/tmp") ;
  mkdir_rel("race.test/kate/.Box") ;
  mkdir_rel("race.test/kate/.Box/cur") ;
  mkdir_rel("race.test/kate/.Box/new") ;
  mkdir_rel("race.test/kate/.Box/tmp") ;
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/race.test/kate/.Box/maildirfolder", root) ;
    fd = open(path, O_WRONLY | O_CREAT, 0600) ;
    if (fd >= 0) close(fd) ;
  }
  fsync_count = 0 ;
  fd = maildir_make(rootfd, "race.test/kate", "Box") ;
  CHECK(fd >= 0, "eexist sync: maildir_make over existing directories") ;
  if (fd >= 0) close(fd) ;
  CHECK(was_synced(""), "eexist sync: the root is fsynced (domain dir found existing)") ;
  CHECK(was_synced("race.test"), "eexist sync: the domain dir is fsynced (Maildir found existing)") ;
  CHECK(was_synced("race.test/kate"), "eexist sync: the Maildir is fsynced (cur/new/tmp, folder found existing)") ;
  CHECK(was_synced("race.test/kate/.Box"), "eexist sync: the folder is fsynced (its subdirs and maildirfolder found existing)") ;

  fsync_count = 0 ;
  fd = maildir_make(rootfd, "race.test/kate", "Box") ;
  if (fd >= 0) close(fd) ;
  CHECK(fd >= 0 && fsync_count == 0, "eexist sync: once per directory per process") ;
  fsync_count = 0 ;
  CHECK(maildir_deliver(rootfd, "race.test/kate", "Box", "h", "", 0, msgfd, 0, &where) && fsync_count == 2
     && was_synced("race.test/kate/.Box/new"), "eexist sync: a later delivery syncs only the file and new/") ;
  close(msgfd) ;
  stralloc_free(&where) ;
}

static char outside[256] ;

static void symlink_rel (char const *rel, char const *target)
{
  char path[512] ;
  snprintf(path, sizeof(path), "%s/%s", root, rel) ;
  if (symlink(target, path) == -1) perror("symlink") ;
}

/* Nothing may ever appear in the directory the symlinks point to. */
static int outside_empty (void)
{
  DIR *d = opendir(outside) ;
  struct dirent *e ;
  int n = 0 ;
  if (!d) return 0 ;
  while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++ ;
  closedir(d) ;
  return !n ;
}

static int deliver_fails (char const *maildir, char const *folder)
{
  stralloc where = STRALLOC_ZERO ;
  int msgfd = make_msgfd("evil\n") ;
  int ok = maildir_deliver(rootfd, maildir, folder, "h", "", 0, msgfd, 0, &where) ;
  close(msgfd) ;
  stralloc_free(&where) ;
  return !ok ;
}

 /* A symlink anywhere below the root (a user's own, or planted through
    a compromised IMAP side) must not make deliverd write outside it. */
static void test_symlinks (char const *evil, char const *dom, char const *how)
{
  stralloc f = STRALLOC_ZERO ;
  char rel[256], rel2[256] ;
  int fd ;
#define REL(s) (snprintf(rel, sizeof(rel), "%s/%s", dom, (s)), rel)
#define NAME(s) (snprintf(name, sizeof(name), "%s (%s)", (s), how), name)
  char name[256] ;
#define REL2(s) (snprintf(rel2, sizeof(rel2), "%s/%s", dom, (s)), rel2)

  symlink_rel(evil, outside) ;
  snprintf(rel, sizeof(rel), "%s/u", evil) ;
  CHECK(deliver_fails(rel, "") && outside_empty(), NAME("symlink: domain dir -> outside refused, nothing written there")) ;

  mkdir_rel(dom) ;
  symlink_rel(REL("sym"), outside) ;
  CHECK(deliver_fails(REL("sym"), "") && outside_empty(), NAME("symlink: user dir -> outside refused")) ;
  errno = 0 ;
  fd = maildir_make(rootfd, REL("sym"), "") ;
  CHECK(fd == -1 && errno == ELOOP && outside_empty(), NAME("symlink: maildir_make refuses a symlinked Maildir (ELOOP)")) ;
  if (fd >= 0) close(fd) ;

  fd = maildir_make(rootfd, REL("frank"), "") ;
  if (fd >= 0) close(fd) ;
  symlink_rel(REL("frank/.Evil"), outside) ;
  CHECK(maildir_folder_find(rootfd, REL("frank"), "Evil", &f) == 0 && !f.len, NAME("symlink: folder symlink (exact name) is no folder -> INBOX")) ;
  CHECK(maildir_folder_find(rootfd, REL("frank"), "evil", &f) == 0 && !f.len, NAME("symlink: folder symlink (case-insensitive scan) is no folder -> INBOX")) ;
  CHECK(deliver_fails(REL("frank"), "Evil") && outside_empty(), NAME("symlink: delivery into a symlinked folder refused")) ;
  errno = 0 ;
  CHECK(maildir_folder_find(rootfd, REL("sym"), "work", &f) == -1 && errno == ELOOP, NAME("symlink: folder lookup in a symlinked Maildir is an error")) ;

  mkdir_rel(REL("gina")) ;
  mkdir_rel(REL("gina/cur")) ;
  mkdir_rel(REL("gina/tmp")) ;
  symlink_rel(REL("gina/new"), outside) ;
  CHECK(deliver_fails(REL("gina"), "") && outside_empty() && count_entries(REL2("gina/tmp")) == 0, NAME("symlink: new/ -> outside refused, tmp/ cleaned")) ;

  mkdir_rel(REL("hank")) ;
  mkdir_rel(REL("hank/cur")) ;
  mkdir_rel(REL("hank/new")) ;
  symlink_rel(REL("hank/tmp"), outside) ;
  CHECK(deliver_fails(REL("hank"), "") && outside_empty() && count_entries(REL2("hank/new")) == 0, NAME("symlink: tmp/ -> outside refused")) ;

  mkdir_rel(REL("ivan")) ;
  mkdir_rel(REL("ivan/new")) ;
  mkdir_rel(REL("ivan/tmp")) ;
  symlink_rel(REL("ivan/cur"), outside) ;
  CHECK(deliver_fails(REL("ivan"), "") && outside_empty(), NAME("symlink: cur/ -> outside refused")) ;

  fd = maildir_make(rootfd, REL("jill"), "") ;
  if (fd >= 0) close(fd) ;
  mkdir_rel(REL("jill/.Box")) ;
  mkdir_rel(REL("jill/.Box/cur")) ;
  mkdir_rel(REL("jill/.Box/tmp")) ;
  symlink_rel(REL("jill/.Box/new"), outside) ;
  CHECK(deliver_fails(REL("jill"), "Box") && outside_empty(), NAME("symlink: a folder's new/ -> outside refused")) ;

  {
     /* an entry that is a file, not a directory, where a folder is looked for */
    char path[512] ;
    snprintf(path, sizeof(path), "%s/%s/jill/.FILE", root, dom) ;
    fd = open(path, O_WRONLY | O_CREAT, 0600) ;
    if (fd >= 0) close(fd) ;
    f.len = 0 ;
    CHECK(maildir_folder_find(rootfd, REL("jill"), "file", &f) == 0 && !f.len, NAME("scan: a file among the entries is skipped")) ;
  }
  stralloc_free(&f) ;
#undef REL
#undef REL2
#undef NAME
}

int main (void)
{
  char tmpl[] = "/tmp/test_maildir.XXXXXX" ;
  if (!mkdtemp(tmpl)) { perror("mkdtemp") ; return 111 ; }
  snprintf(root, sizeof(root), "%s/mail", tmpl) ;
  mkdir(root, 0700) ;
  rootfd = open(root, O_RDONLY | O_DIRECTORY) ;
  if (rootfd < 0) { perror("open") ; return 111 ; }
  snprintf(outside, sizeof(outside), "%s/outside", tmpl) ;
  mkdir(outside, 0700) ;

  test_validators() ;
  test_host() ;
  test_deliver_inbox() ;
  test_deliver_folder() ;
  test_eexist() ;
  test_failures() ;
  test_folder_find() ;
  test_eexist_durability() ;
  test_symlinks("evil1.test", "s1.test", "openat2") ;
  maildir_opendir_force_fallback(1) ;
  test_symlinks("evil2.test", "s2.test", "per-component fallback") ;
  maildir_opendir_force_fallback(0) ;

  close(rootfd) ;
  {
    char cmd[512] ;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl) ;
    if (system(cmd)) {}
  }
  return check_done() ;
}

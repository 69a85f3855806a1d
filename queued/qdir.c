/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>  /* rename() only */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/djbunix.h>

#include "common/log.h"
#include "queued/qid.h"
#include "queued/qdir.h"

#define QUEUE_DIR_MODE 0700

/* Permissions (docs/queue.md): the queue's own group is queued-inject's
 * (phinject; mkruntime sets it, with mode 0710 so that it may pass
 * through but not list). tmp/ and incoming/ are writable by that group,
 * the trigger FIFO too; queue/ and corrupt/, where accepted mail waits,
 * are queued's alone. */
static struct { char const *name ; mode_t mode ; int shared ; } const subdirs[] =
{
  { "tmp", 0770, 1 },
  { "incoming", 0770, 1 },
  { "queue", QUEUE_DIR_MODE, 0 },
  { "corrupt", QUEUE_DIR_MODE, 0 },
  { 0, 0, 0 }
} ;
#define TRIGGER_MODE 0620

/* Gives path mode and, if shared, the queue's group: at creation (the
 * umask may have taken bits) and for a queue laid out before (an older
 * layout kept everything 0700). Only what queued owns is changed. */
static int set_mode (char const *path, struct stat const *st, mode_t mode, int shared, gid_t group)
{
  if (st->st_uid != geteuid()) return 1 ;
  if (shared && st->st_gid != group && chown(path, (uid_t)-1, group) < 0) return 0 ;
  if ((st->st_mode & 07777) != mode && chmod(path, mode) < 0) return 0 ;
  return 1 ;
}

static int sync_dir (char const *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (fd_sync(fd) < 0)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  fd_close(fd) ;
  return 1 ;
}

int qdir_init (void)
{
  struct stat st ;
  gid_t group ;
  int made = 0 ;
  if (stat(".", &st) < 0) return 0 ;
  group = st.st_gid ;
  for (unsigned int i = 0 ; subdirs[i].name ; i++)
  {
    char const *p = subdirs[i].name ;
    if (mkdir(p, subdirs[i].mode) == 0) made = 1 ;
    else if (errno != EEXIST) return 0 ;
    if (lstat(p, &st) < 0) return 0 ;
    if (!S_ISDIR(st.st_mode)) return (errno = ENOTDIR, 0) ;
    if (!set_mode(p, &st, subdirs[i].mode, subdirs[i].shared, group)) return 0 ;
  }
  if (mkfifo("trigger", TRIGGER_MODE) == 0) made = 1 ;
  else if (errno != EEXIST) return 0 ;
  if (lstat("trigger", &st) < 0) return 0 ;
  if (!S_ISFIFO(st.st_mode)) return (errno = EINVAL, 0) ;
  if (!set_mode("trigger", &st, TRIGGER_MODE, 1, group)) return 0 ;
  return made ? sync_dir(".") : 1 ;
}

int qdir_lock (void)
{
  int fd = open("lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600) ;
  int r ;
  if (fd < 0) return -1 ;
  r = fd_lock(fd, 1, 1) ;
  if (r == 1) return fd ;
  fd_close(fd) ;
  if (!r) errno = EBUSY ;
  return -1 ;
}

static size_t catpath (char *dst, char const *a, char const *b, char const *c)
{
  size_t n = strlen(a) ;
  memcpy(dst, a, n) ;
  dst[n++] = '/' ;
  {
    size_t m = strlen(b) ;
    memcpy(dst + n, b, m) ;
    n += m ;
  }
  if (c)
  {
    size_t m = strlen(c) ;
    dst[n++] = '/' ;
    memcpy(dst + n, c, m) ;
    n += m ;
  }
  dst[n] = 0 ;
  return n ;
}

int qdir_take (char const *qid)
{
  char src[10 + QID_MAX + 1] ;
  char dst[7 + QID_MAX + 1] ;
  catpath(src, "incoming", qid, 0) ;
  catpath(dst, "queue", qid, 0) ;
  /* No fsync: the directory keeps its inode, so the state journal inside
   * it is found after a crash whichever name survived (docs/queue.md). */
  return rename(src, dst) == 0 ;
}

int qdir_corrupt (char const *from, char const *qid)
{
  size_t flen = strlen(from) ;
  char src[flen + QID_MAX + 2] ;
  char dst[9 + flen + QID_MAX + 2] ;
  catpath(src, from, qid, 0) ;
  memcpy(dst, "corrupt/", 8) ;
  memcpy(dst + 8, from, flen) ;
  dst[8 + flen] = '-' ;
  memcpy(dst + 9 + flen, qid, strlen(qid) + 1) ;
  if (rename(src, dst) < 0) return 0 ;
  return sync_dir("corrupt") && sync_dir(from) ;
}

int qdir_remove (char const *from, char const *qid, int durable)
{
  size_t flen = strlen(from) ;
  char dir[flen + QID_MAX + 2] ;
  char env[flen + QID_MAX + 6] ;
  catpath(dir, from, qid, 0) ;
  catpath(env, from, qid, "env") ;
  if (unlink(env) < 0 && errno != ENOENT) return 0 ;
  if (durable && !sync_dir(dir)) return errno == ENOENT ;
  /* After this point a crash leaves a directory without env, which the
   * next scan recognizes and removes: no fsync needed below. */
  if (rm_rf(dir) < 0 && errno != ENOENT) return 0 ;
  return 1 ;
}

static int pid_gone (char const *name)
{
  uint64_t u ;
  size_t n = strlen(name) ;
  if (!n || n > 19) return 0 ;
  for (size_t i = 0 ; i < n ; i++) if (name[i] < '0' || name[i] > '9') return 0 ;
  if (uint64_scan(name, &u) != n || !u || u > 0x7fffffff) return 0 ;
  /* EPERM means alive under another uid; only ESRCH proves death. */
  return kill((pid_t)u, 0) < 0 && errno == ESRCH ;
}

unsigned int qdir_clean_tmp (uint64_t ossified)
{
  unsigned int removed = 0 ;
  time_t now = time(0) ;
  DIR *d = opendir("tmp") ;
  if (!d) return 0 ;
  for (;;)
  {
    struct stat st ;
    struct dirent *e ;
    char path[5 + 256] ;
    char const *reason = 0 ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue ;
    if (strlen(e->d_name) > 255) continue ;
    catpath(path, "tmp", e->d_name, 0) ;
    if (lstat(path, &st) < 0) continue ;
    if (pid_gone(e->d_name)) reason = "owner gone" ;
    else if (now > st.st_mtime && (uint64_t)(now - st.st_mtime) > ossified) reason = "ossified" ;
    if (!reason) continue ;
    if (rm_rf(path) < 0) continue ;
    removed++ ;
    log_event2("tmpclean", "path", path, "reason", reason) ;
  }
  closedir(d) ;
  return removed ;
}

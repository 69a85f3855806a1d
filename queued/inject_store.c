/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>  /* rename() only */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>

#include "queued/qid.h"
#include "queued/qrec.h"
#include "queued/inject_store.h"

/* queued-inject (phinject) makes the message, queued (phqueue, in group
 * phinject) reads it, writes its journal into the directory and removes
 * it (docs/queue.md, "Permissions"). */
#define QUEUE_FILE_MODE 0640
#define QUEUE_DIR_MODE 0770

/* A preparation older than this is made again before use. queued removes
 * a live process's tmp/<pid>/ once its mtime (set when mess and env are
 * created) is 36 h old (TMP_OSSIFIED); 1 h here plus a message's 24 h
 * (queued-inject's MESSAGE_DEATH) stays below that. */
#define PREPARED_MAX_AGE 3600

static uint64_t monotonic_seconds (void)
{
  struct timespec ts ;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) return 0 ;
  return (uint64_t)ts.tv_sec ;
}

void injstore_init (injstore *s)
{
  s->active = s->ready = s->inmsg = 0 ;
  s->prepared = 0 ;
  s->dirfd = s->envfd = s->messfd = -1 ;
  s->size = 0 ;
  s->nrcpt = 0 ;
  s->qid[0] = 0 ;
  {
    size_t n = 4 ;
    memcpy(s->tmpdir, "tmp/", 4) ;
    n += pid_fmt(s->tmpdir + 4, getpid()) ;
    s->tmpdir[n] = 0 ;
  }
}

static int sync_dir (char const *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (fd < 0) return 0 ;
  if (fd_sync(fd) < 0)
  {
    fd_close(fd) ;
    return 0 ;
  }
  fd_close(fd) ;
  return 1 ;
}

static int close_checked (int *fd)
{
  int r = close(*fd) ;
  *fd = -1 ;
  return r == 0 || errno == EINTR ;
}

int injstore_prepare (injstore *s)
{
  if (s->ready) return 1 ;
  if (s->inmsg) return (errno = EBUSY, 0) ;   /* a caller's bug: keep the message */
  /* tmp/<pid> can only be a leftover of a dead process that had our pid,
   * or of our own earlier message whose clean-up failed: never live. */
  if (mkdir(s->tmpdir, QUEUE_DIR_MODE) < 0)
  {
    if (errno != EEXIST) return 0 ;
    if (rm_rf(s->tmpdir) < 0 || mkdir(s->tmpdir, QUEUE_DIR_MODE) < 0) return 0 ;
  }
  s->active = 1 ;
  s->dirfd = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (s->dirfd < 0) return 0 ;
  s->envfd = openat(s->dirfd, "env", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, QUEUE_FILE_MODE) ;
  if (s->envfd < 0) return 0 ;
  s->messfd = openat(s->dirfd, "mess", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, QUEUE_FILE_MODE) ;
  if (s->messfd < 0) return 0 ;
  /* The names mess and env inside tmp/<pid>/ are on disk. This is the
   * fsync the commit would otherwise make between the end of the data
   * and K: once the names are durable, the files' own fsyncs (contents,
   * sizes) and the fsync of incoming/ after the rename are all the
   * commit still needs (docs/queue.md, commit point 1). */
  if (fd_sync(s->dirfd) < 0) return 0 ;
  s->prepared = monotonic_seconds() ;
  s->ready = 1 ;
  return 1 ;
}

/* Is the preparation still ours to use? queued may have removed it as
 * ossified (then the directory has no link left), and an old one is
 * made again so that it never gets near that age. */
static int prepared_fresh (injstore *s)
{
  struct stat st ;
  if (monotonic_seconds() - s->prepared > PREPARED_MAX_AGE) return 0 ;
  return fstat(s->dirfd, &st) == 0 && st.st_nlink > 0 ;
}

int injstore_begin (injstore *s)
{
  struct stat st ;
  struct timespec now ;
  size_t n ;
  char fmt[UINT64_FMT] ;

  if (s->ready && !prepared_fresh(s)) injstore_abort(s) ;
  if (!injstore_prepare(s)) return 0 ;
  s->ready = 0 ;
  s->inmsg = 1 ;
  s->size = 0 ;
  s->nrcpt = 0 ;
  if (fstat(s->dirfd, &st) < 0) return 0 ;
  if (clock_gettime(CLOCK_REALTIME, &now) < 0) return 0 ;

  /* The directory keeps its inode through every rename until the message
   * is removed, so no live message can share (time, inode). */
  n = qid_make(s->qid, (uint64_t)now.tv_sec, (uint32_t)(now.tv_nsec / 1000), (uint64_t)st.st_ino) ;
  s->qid[n] = 0 ;

  buffer_init(&s->envb, &buffer_write, s->envfd, s->envbuf, INJSTORE_ENVBUFSIZE) ;
  if (!qrec_put(&s->envb, 'V', "1", 1)) return 0 ;
  if (!qrec_put(&s->envb, 'I', s->qid, n)) return 0 ;
  if (!qrec_put(&s->envb, 'W', fmt, uint64_fmt(fmt, (uint64_t)now.tv_sec))) return 0 ;
  return 1 ;
}

int injstore_field (injstore *s, char tag, char const *v, size_t len)
{
  if (tag == 'T') s->nrcpt++ ;
  return qrec_put(&s->envb, tag, v, len) ;
}

int injstore_envend (injstore *s)
{
  /* mess was made with env, at the preparation. */
  buffer_init(&s->messb, &buffer_write, s->messfd, s->messbuf, INJSTORE_MESSBUFSIZE) ;
  return 1 ;
}

int injstore_data (injstore *s, char const *v, size_t len)
{
  size_t w = 0 ;
  if (!buffer_putall(&s->messb, v, len, &w)) return 0 ;
  s->size += len ;
  return 1 ;
}

/* Wakes queued: the line "<qid>\n" into the trigger FIFO, in one write
 * (shorter than PIPE_BUF, so whole, never mixed with another worker's),
 * never blocking. queued takes the message it names at once. */
static void injstore_trigger (char const *qid)
{
  char line[QID_MAX + 1] ;
  size_t n = strlen(qid) ;
  int fd ;
  memcpy(line, qid, n) ;
  line[n++] = '\n' ;
  /* No reader (queued down): ENXIO; FIFO full: EAGAIN, and a wake-up is
   * already pending. Either way, queued's scan of incoming/ after each
   * wake-up, and its rescan, are the backstop. */
  fd = open("trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (fd < 0) return ;
  if (write(fd, line, n) < 0) { /* ignored: see above */ }
  fd_close(fd) ;
}

int injstore_commit (injstore *s)
{
  char fmt[UINT64_FMT] ;
  char dst[9 + QID_MAX + 1] ;

  /* 1. The message body is on disk. */
  if (!buffer_flush(&s->messb)) return 0 ;
  if (fd_sync(s->messfd) < 0) return 0 ;
  if (!close_checked(&s->messfd)) return 0 ;

  /* 2. The envelope, with the size queued checks the body against, and
   *    the end record that tells a complete envelope from a torn one. */
  if (!qrec_put(&s->envb, 'S', fmt, uint64_fmt(fmt, s->size))) return 0 ;
  if (!qrec_put(&s->envb, 'E', "", 0)) return 0 ;
  if (!buffer_flush(&s->envb)) return 0 ;
  if (fd_sync(s->envfd) < 0) return 0 ;
  if (!close_checked(&s->envfd)) return 0 ;

  /* 3. The names mess and env inside tmp/<pid>/ are on disk already:
   *    injstore_prepare fsynced the directory before any of this
   *    message's bytes were written, and nothing has renamed, created or
   *    removed a name in it since. */
  fd_close(s->dirfd) ;
  s->dirfd = -1 ;

  /* 4. The commit point: one rename makes the whole message appear in
   *    incoming/. Then fsync incoming/ so the rename survives a crash;
   *    only after that may the client hear K.
   * 5. queued is woken between the two: the contents are durable, and
   *    the fsync of incoming/ also makes durable queued's take into
   *    queue/ if that comes first (the rename changes incoming/), so
   *    queued may start delivering while this fsync runs. A crash
   *    before it ends can give a duplicate (the client never heard K),
   *    never a loss (docs/queue.md, point 1). */
  memcpy(dst, "incoming/", 9) ;
  memcpy(dst + 9, s->qid, strlen(s->qid) + 1) ;
  if (rename(s->tmpdir, dst) < 0) return 0 ;
  s->active = s->inmsg = 0 ;
  injstore_trigger(s->qid) ;
  if (!sync_dir("incoming")) return 0 ;
  return 1 ;
}

void injstore_abort (injstore *s)
{
  int e = errno ;
  if (s->messfd >= 0) { fd_close(s->messfd) ; s->messfd = -1 ; }
  if (s->envfd >= 0) { fd_close(s->envfd) ; s->envfd = -1 ; }
  if (s->dirfd >= 0) { fd_close(s->dirfd) ; s->dirfd = -1 ; }
  if (s->active)
  {
    rm_rf(s->tmpdir) ;
    s->active = 0 ;
  }
  s->ready = s->inmsg = 0 ;
  errno = e ;
}

void injstore_abort_signalsafe (injstore *s)
{
  /* Prepared and untouched: the directory holds exactly env and mess. */
  if (!s->ready || s->inmsg) return ;
  unlinkat(s->dirfd, "env", 0) ;
  unlinkat(s->dirfd, "mess", 0) ;
  rmdir(s->tmpdir) ;
}

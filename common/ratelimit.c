/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/random.h>
#include <skalibs/sha256.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/ratelimit.h"

/* The lock is held for a read and a write of at most 1.6 MB: waiting
 * longer than this means something is wrong, and the client is told to
 * come back (451) rather than hang. */
#define LOCK_TRIES 300
#define LOCK_PAUSE_NS 10000000L

int ratelimit_parse (char const *spec, unsigned int *count, unsigned int *window)
{
  size_t n = uint_scan(spec, count) ;
  size_t m ;
  if (!n || spec[n] != '/') return 0 ;
  m = uint_scan(spec + n + 1, window) ;
  if (!m || spec[n + 1 + m]) return 0 ;
  return *count && *count <= RATELIMIT_COUNT_MAX && *window && *window <= RATELIMIT_WINDOW_MAX ;
}

static int set_path (ratelimit *r, char const *key)
{
  static char const hex[] = "0123456789abcdef" ;
  SHA256Schedule ctx ;
  char digest[32] ;
  size_t dlen = strlen(r->dir) ;
  size_t w ;
  if (dlen + 1 + 64 + 1 > sizeof(r->path)) return (errno = ENAMETOOLONG, 0) ;
  sha256_init(&ctx) ;
  for (char const *p = key ; *p ; p++)
  {
    char c = *p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p ;
    sha256_update(&ctx, &c, 1) ;
  }
  sha256_final(&ctx, digest) ;
  memcpy(r->path, r->dir, dlen) ;
  w = dlen ;
  r->path[w++] = '/' ;
  for (unsigned int i = 0 ; i < 32 ; i++)
  {
    r->path[w++] = hex[(unsigned char)digest[i] >> 4] ;
    r->path[w++] = hex[(unsigned char)digest[i] & 15] ;
  }
  r->path[w] = 0 ;
  return 1 ;
}

static int open_locked (char const *path)
{
  int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0) return -1 ;
  for (unsigned int i = 0 ; ; i++)
  {
    struct timespec pause = { .tv_sec = 0, .tv_nsec = LOCK_PAUSE_NS } ;
    if (!flock(fd, LOCK_EX | LOCK_NB)) return fd ;
    if (errno != EWOULDBLOCK || i >= LOCK_TRIES) break ;
    nanosleep(&pause, 0) ;
  }
  {
    int e = errno == EWOULDBLOCK ? ETIMEDOUT : errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return -1 ;
}

/* Reads the records (at most RATELIMIT_COUNT_MAX + 1 of them: more is
 * left over from a higher limit, and dropped), keeping those in the
 * window that do not carry the token drop. */
static int load (int fd, stralloc *sa, time_t now, unsigned int window, uint64_t drop)
{
  size_t max = (size_t)(RATELIMIT_COUNT_MAX + 1) * RATELIMIT_RECORD ;
  size_t len = 0 ;
  size_t w = 0 ;
  struct stat st ;
  if (fstat(fd, &st) < 0) return 0 ;
  if ((uint64_t)st.st_size < max) max = (size_t)st.st_size ;
  /* room for the record ratelimit_take may add */
  if (!stralloc_ready(sa, max + RATELIMIT_RECORD)) return 0 ;
  for (;;)
  {
    ssize_t r = pread(fd, sa->s + len, max - len, (off_t)len) ;
    if (r < 0) { if (errno == EINTR) continue ; return 0 ; }
    if (!r) break ;
    len += (size_t)r ;
    if (len >= max) break ;
  }
  len -= len % RATELIMIT_RECORD ;   /* a torn write after a crash */
  for (size_t i = 0 ; i < len ; i += RATELIMIT_RECORD)
  {
    uint64_t t, token ;
    uint64_unpack_big(sa->s + i, &t) ;
    uint64_unpack_big(sa->s + i + 8, &token) ;
    if (token == drop) continue ;
    if ((int64_t)t <= (int64_t)now - (int64_t)window || (int64_t)t > (int64_t)now + (int64_t)window) continue ;
    memmove(sa->s + w, sa->s + i, RATELIMIT_RECORD) ;
    w += RATELIMIT_RECORD ;
  }
  sa->len = w ;
  return 1 ;
}

static int store (int fd, stralloc const *sa)
{
  size_t done = 0 ;
  while (done < sa->len)
  {
    ssize_t r = pwrite(fd, sa->s + done, sa->len - done, (off_t)done) ;
    if (r < 0) { if (errno == EINTR) continue ; return 0 ; }
    done += (size_t)r ;
  }
  return ftruncate(fd, (off_t)sa->len) == 0 ;
}

/* One file per key ever seen would pile up (an MX meets many client
 * addresses): now and then (one take in SWEEP_ODDS) a take removes files
 * not written for a whole window, which hold only expired records. At
 * most SWEEP_MAX entries are looked at per sweep. A file unlinked while
 * another session holds it costs that session's one count, no more. */
#define SWEEP_ODDS 128
#define SWEEP_MAX 1024

static void sweep (char const *dir, unsigned int window, time_t now)
{
  char path[512] ;
  size_t dlen = strlen(dir) ;
  unsigned int seen = 0 ;
  DIR *d ;
  if (dlen + 66 > sizeof(path)) return ;
  d = opendir(dir) ;
  if (!d) return ;
  memcpy(path, dir, dlen) ;
  path[dlen] = '/' ;
  for (;;)
  {
    struct stat st ;
    struct dirent *e = readdir(d) ;
    if (!e || ++seen > SWEEP_MAX) break ;
    if (strlen(e->d_name) != 64) continue ;
    memcpy(path + dlen + 1, e->d_name, 65) ;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) continue ;
    if ((int64_t)st.st_mtime + (int64_t)window < (int64_t)now) unlink(path) ;
  }
  closedir(d) ;
}

int ratelimit_take (ratelimit *r, char const *key, time_t now)
{
  stralloc sa = STRALLOC_ZERO ;
  int fd ;
  int result = -1 ;
  if (!r->count) return 1 ;
  if (!set_path(r, key)) return -1 ;
  if (!(random_uint32(SWEEP_ODDS))) sweep(r->dir, r->window, now) ;
  fd = open_locked(r->path) ;
  if (fd < 0 && errno == ENOENT)
  {
    /* a limiter's own subdirectory (one limiter per directory: the sweep
     * goes by its window) is made at first use, under the parent the
     * run script made */
    if (mkdir(r->dir, 0700) < 0 && errno != EEXIST) return -1 ;
    fd = open_locked(r->path) ;
  }
  if (fd < 0) return -1 ;
  if (!load(fd, &sa, now, r->window, 0)) goto end ;
  if (sa.len / RATELIMIT_RECORD >= r->count)
  {
    result = 0 ;
    if (!store(fd, &sa)) result = -1 ;  /* the expired records go anyway */
    goto end ;
  }
  {
    uint64_t token = r->token ;  /* the transaction's, when it has one */
    char rec[RATELIMIT_RECORD] ;
    while (!token) random_buf((char *)&token, sizeof(token)) ;
    uint64_pack_big(rec, (uint64_t)now) ;
    uint64_pack_big(rec + 8, token) ;
    if (!stralloc_catb(&sa, rec, RATELIMIT_RECORD) || !store(fd, &sa)) goto end ;
    r->token = token ;
    result = 1 ;
  }
 end:
  {
    int e = errno ;
    stralloc_free(&sa) ;
    fd_close(fd) ;  /* and the lock with it */
    errno = e ;
  }
  return result ;
}

void ratelimit_release (ratelimit *r)
{
  stralloc sa = STRALLOC_ZERO ;
  uint64_t token = r->token ;
  int fd ;
  r->token = 0 ;
  if (!token) return ;
  fd = open_locked(r->path) ;
  if (fd < 0) return ;
  if (load(fd, &sa, time(0), r->window, token)) store(fd, &sa) ;
  stralloc_free(&sa) ;
  fd_close(fd) ;
}

void ratelimit_keep (ratelimit *r)
{
  r->token = 0 ;
}

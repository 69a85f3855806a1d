/* ISC license. */

/* libFuzzer harness for one injection connection as a resident worker
 * serves it (queued/inject_conn.c, with the real parser and store, in a
 * queue directory of its own under /dev/shm). Input: one byte choosing
 * the peer (root, a local uid, no uid), then the client's bytes, sent
 * whole and followed by EOF. Every input is served by the same process,
 * one connection after the other, as a worker serves them. Invariants:
 *  - the status is one a one-connection queued-inject may exit with;
 *  - every answer line is K<qid>, Z<text> or D<text>, newline-ended, and
 *    a K names a complete message in incoming/ (env ending in its end
 *    record, mess of the size S says);
 *  - nothing of the connection stays behind: tmp/ holds at most this
 *    process's unused preparation (exactly an empty env and an empty
 *    mess), and the process has the same file descriptors afterwards but
 *    for the preparation's three. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "queued/inject_conn.h"

#define die() abort()

static char qdir[64] ;
static int topfd = -1 ;

/* The queue goes with the process when libFuzzer ends normally; after a
 * crash it stays, beside the crash input. */
static void cleanup (void)
{
  if (qdir[0]) rm_rf(qdir) ;
}

static void setup (void)
{
  char path[128] ;
  strcpy(qdir, "/dev/shm/phfuzz-inject.XXXXXX") ;
  if (!mkdtemp(qdir)) die() ;
  snprintf(path, sizeof(path), "%s/tmp", qdir) ;
  if (mkdir(path, 0700) < 0) die() ;
  snprintf(path, sizeof(path), "%s/incoming", qdir) ;
  if (mkdir(path, 0700) < 0) die() ;
  if (setenv("PH_QUEUE_DIR", qdir, 1) < 0) die() ;
  if (setenv("POSTFIX_MESSAGE_SIZE_LIMIT", "100000", 1) < 0) die() ;
  unsetenv("PH_ENVFILE") ;
  unsetenv("PH_INJECT_UIDS") ;
  topfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (topfd < 0) die() ;
  log_verbosity = 0 ;
  if (atexit(&cleanup) != 0) die() ;
}

static unsigned int count_fds (void)
{
  unsigned int n = 0 ;
  DIR *d = opendir("/proc/self/fd") ;
  if (!d) die() ;
  while (readdir(d)) n++ ;
  closedir(d) ;
  return n ;
}

/* The message named qid is complete; then it is removed. */
static void check_committed (char const *qid, size_t len)
{
  char path[256] ;
  char buf[65536] ;
  struct stat st ;
  ssize_t r ;
  int fd ;
  if (!len || len > 64) die() ;
  snprintf(path, sizeof(path), "%s/incoming/%.*s/env", qdir, (int)len, qid) ;
  fd = open(path, O_RDONLY) ;
  if (fd < 0) die() ;
  r = read(fd, buf, sizeof(buf)) ;
  close(fd) ;
  if (r < 4 || memcmp(buf + r - 4, "E0:,", 4)) die() ;
  {
    /* the S record, just before E */
    char const *p = memmem(buf, r, ",S", 2) ;
    uint64_t size ;
    size_t n ;
    if (!p) die() ;
    p += 2 ;
    while (*p >= '0' && *p <= '9') p++ ;
    if (*p++ != ':') die() ;
    n = uint64_scan(p, &size) ;
    if (!n) die() ;
    snprintf(path, sizeof(path), "%s/incoming/%.*s/mess", qdir, (int)len, qid) ;
    if (stat(path, &st) < 0 || (uint64_t)st.st_size != size) die() ;
  }
  snprintf(path, sizeof(path), "%s/incoming/%.*s", qdir, (int)len, qid) ;
  if (rm_rf(path) < 0) die() ;
}

/* Returns 1 if tmp/ holds this process's preparation, 0 if it is empty. */
static int check_tmp (void)
{
  int prepared = 0 ;
  char path[128] ;
  char mine[PID_FMT + 1] ;
  DIR *d ;
  struct dirent *e ;
  mine[pid_fmt(mine, getpid())] = 0 ;
  snprintf(path, sizeof(path), "%s/tmp", qdir) ;
  d = opendir(path) ;
  if (!d) die() ;
  while ((e = readdir(d)))
  {
    struct stat st ;
    char f[256] ;
    if (e->d_name[0] == '.') continue ;
    if (strcmp(e->d_name, mine)) die() ;
    snprintf(f, sizeof(f), "%s/tmp/%s/env", qdir, mine) ;
    if (stat(f, &st) < 0 || st.st_size) die() ;
    snprintf(f, sizeof(f), "%s/tmp/%s/mess", qdir, mine) ;
    if (stat(f, &st) < 0 || st.st_size) die() ;
    prepared = 1 ;
  }
  closedir(d) ;
  return prepared ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static char const *const peers[3] = { "0", "65534", "" } ;
  char answers[65536] ;
  size_t alen = 0 ;
  unsigned int fds ;
  int sv[2] ;
  int status ;
  if (!qdir[0]) setup() ;
  if (!size) return 0 ;
  if (size > 60000) size = 60000 ;   /* fits the socket buffer: sent whole first */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die() ;
  {
    int sz = 262144 ;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) ;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) ;
  }
  if (size > 1 && write(sv[0], data + 1, size - 1) != (ssize_t)(size - 1)) die() ;
  if (shutdown(sv[0], SHUT_WR) < 0) die() ;
  /* A kept preparation holds 3 fds (the directory, env, mess). */
  fds = count_fds() - 3 * check_tmp() ;
  status = injconn_serve(sv[1], sv[1], peers[data[0] % 3], 1) ;
  if (fchdir(topfd) < 0) die() ;
  if (count_fds() - 3 * check_tmp() != fds) die() ;
  if (status != 0 && status != 1 && status != 99 && status != 100 && status != 111) die() ;
  close(sv[1]) ;
  for (;;)
  {
    ssize_t r = read(sv[0], answers + alen, sizeof(answers) - alen) ;
    /* The server closed with our bytes unread (a refusal): the kernel
     * reports a reset once what it wrote has been read. */
    if (r < 0 && errno == ECONNRESET) break ;
    if (r < 0) die() ;
    if (!r) break ;
    alen += r ;
    if (alen == sizeof(answers)) die() ;
  }
  close(sv[0]) ;
  for (size_t i = 0 ; i < alen ;)
  {
    char const *nl = memchr(answers + i, '\n', alen - i) ;
    size_t n ;
    if (!nl) die() ;
    n = nl - (answers + i) ;
    if (!n) die() ;
    if (answers[i] == 'K') check_committed(answers + i + 1, n - 1) ;
    else if (answers[i] != 'Z' && answers[i] != 'D') die() ;
    i += n + 1 ;
  }
  return 0 ;
}

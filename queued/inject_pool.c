/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <skalibs/types.h>
#include <skalibs/alloc.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "queued/inject_conn.h"
#include "queued/inject_pool.h"

/* A worker that dies within this many seconds of its start, other than by
 * finishing its max-use, holds back the next start by as much: a broken
 * setup costs a fork a second, not a fork loop. */
#define RESPAWN_HOLDOFF 1

/* At SIGTERM the parent waits this many seconds at most for its workers
 * to go (docker stop's grace is 10 s for the whole container). */
#define STOP_GRACE 2

/* ---------------------------------------------------------------- worker */

static int worker_lfd = -1 ;
static volatile sig_atomic_t worker_idle = 0 ;
static volatile sig_atomic_t worker_stop = 0 ;

/* SIGTERM (the parent stops or replaces it, or died: PR_SET_PDEATHSIG).
 * Idle in accept(), the worker has nothing in hand but perhaps a
 * preparation, removed with async-signal-safe calls only, and goes. Busy,
 * it stops accepting at once (the socket disappears with the last
 * holder's close) and leaves after this connection, which it finishes:
 * the client waits for its K. */
static void worker_term (int sig)
{
  (void)sig ;
  if (worker_idle)
  {
    injconn_release_signalsafe() ;
    _exit(0) ;
  }
  worker_stop = 1 ;
  if (worker_lfd >= 0) { close(worker_lfd) ; worker_lfd = -1 ; }
}

/* The peer's uid as the kernel gave it at connect(2), in decimal; "" if
 * it cannot be had (then the peer is refused). */
static void peer_uid (int fd, char *s)
{
  struct ucred cred ;
  socklen_t len = sizeof(cred) ;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) { s[0] = 0 ; return ; }
  s[uint64_fmt(s, (uint64_t)cred.uid)] = 0 ;
}

static void gccattr_noreturn worker (int lfd, unsigned int maxuse, pid_t parent)
{
  struct sigaction sa ;
  unsigned int served = 0 ;
  selfpipe_finish() ;
  worker_lfd = lfd ;
  memset(&sa, 0, sizeof(sa)) ;
  sa.sa_handler = &worker_term ;
  sigemptyset(&sa.sa_mask) ;
  /* SA_RESTART: a SIGTERM during a connection must not fail its reads;
   * poll(2) still returns EINTR, which inject_conn.c retries. */
  sa.sa_flags = SA_RESTART ;
  if (sigaction(SIGTERM, &sa, 0) < 0) strerr_diefusys(111, "catch SIGTERM") ;
  if (!sig_restore(SIGHUP) || !sig_restore(SIGCHLD) || !sig_restore(SIGINT))
    strerr_diefusys(111, "restore signal handlers") ;
  /* A parent that dies (SIGKILL) takes its idle workers with it; a busy
   * one finishes its message first, as above. */
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) strerr_diefusys(111, "set the parent-death signal") ;
  if (getppid() != parent) _exit(0) ;

  while (served < maxuse && !worker_stop)
  {
    char peer[UINT64_FMT] ;
    int fd ;
    worker_idle = 1 ;
    if (worker_stop) break ;
    fd = accept4(lfd, 0, 0, SOCK_CLOEXEC) ;
    worker_idle = 0 ;
    if (fd < 0)
    {
      /* The peer gave up while queued (ECONNABORTED), or a signal: the
       * next one. Anything else (EMFILE, ENOBUFS, a closed socket) ends
       * this worker, and the parent's holdoff paces its replacement. */
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue ;
      if (worker_stop) break ;
      strerr_diefusys(111, "accept a connection") ;
    }
    peer_uid(fd, peer) ;
    injconn_serve(fd, fd, peer, 1) ;
    fd_close(fd) ;
    served++ ;
  }
  injconn_release() ;
  _exit(0) ;
}

/* ---------------------------------------------------------------- parent */

typedef struct slot_s slot, *slot_ref ;
struct slot_s
{
  pid_t pid ;        /* 0: free */
  tain started ;
} ;

static slot *slots = 0 ;
static unsigned int nslots = 0 ;
static unsigned int alive = 0 ;
static tain holdoff = TAIN_ZERO ;   /* no start before this */

static int start_worker (int lfd, unsigned int maxuse)
{
  pid_t parent = getpid() ;
  unsigned int i = 0 ;
  pid_t pid ;
  while (i < nslots && slots[i].pid) i++ ;
  if (i == nslots) return 1 ;
  pid = fork() ;
  if (pid < 0)
  {
    strerr_warnwusys("fork a worker") ;
    tain_addsec_g(&holdoff, RESPAWN_HOLDOFF) ;
    return 0 ;
  }
  if (!pid) worker(lfd, maxuse, parent) ;
  slots[i].pid = pid ;
  slots[i].started = STAMP ;
  alive++ ;
  return 1 ;
}

static void log_exit (pid_t pid, int wstat)
{
  logline l ;
  log_begin(&l, "worker_exit") ;
  log_kvu(&l, "pid", (uint64_t)pid) ;
  if (WIFSIGNALED(wstat)) log_kv(&l, "signal", sig_name(WTERMSIG(wstat))) ;
  else log_kvu(&l, "status", (uint64_t)WEXITSTATUS(wstat)) ;
  log_commit(&l) ;
}

static void reap (void)
{
  for (;;)
  {
    int wstat ;
    pid_t pid = wait_nohang(&wstat) ;
    if (pid <= 0) return ;
    for (unsigned int i = 0 ; i < nslots ; i++)
    {
      if (slots[i].pid != pid) continue ;
      slots[i].pid = 0 ;
      alive-- ;
      /* A worker ends with 0 after its max-use or a SIGTERM; anything
       * else is worth a line, and a quick death holds the next start. */
      if (!WIFEXITED(wstat) || WEXITSTATUS(wstat))
      {
        tain since ;
        log_exit(pid, wstat) ;
        tain_sub(&since, &STAMP, &slots[i].started) ;
        if (tain_to_millisecs(&since) < RESPAWN_HOLDOFF * 1000)
          tain_addsec_g(&holdoff, RESPAWN_HOLDOFF) ;
      }
      break ;
    }
  }
}

static void signal_workers (int sig)
{
  for (unsigned int i = 0 ; i < nslots ; i++)
    if (slots[i].pid) kill(slots[i].pid, sig) ;
}

int injpool_run (int lfd, unsigned int workers, unsigned int maxuse, int notif)
{
  iopause_fd x = { .events = IOPAUSE_READ } ;
  int stopping = 0 ;
  tain stop_deadline = TAIN_INFINITE ;
  /* Blocking accept(2): the kernel then wakes one waiting worker per
   * connection, where a poll(2) on a shared socket would wake them all. */
  if (ndelay_off(lfd) < 0) strerr_diefusys(111, "make the socket blocking") ;
  slots = alloc(workers * sizeof(slot)) ;
  if (!slots) strerr_diefusys(111, "allocate the worker table") ;
  memset(slots, 0, workers * sizeof(slot)) ;
  nslots = workers ;

  x.fd = selfpipe_init() ;
  if (x.fd < 0) strerr_diefusys(111, "create the selfpipe") ;
  if (!sig_altignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  {
    sigset_t set ;
    sigemptyset(&set) ;
    sigaddset(&set, SIGCHLD) ;
    sigaddset(&set, SIGTERM) ;
    sigaddset(&set, SIGINT) ;
    sigaddset(&set, SIGHUP) ;
    if (!selfpipe_trapset(&set)) strerr_diefusys(111, "trap signals") ;
  }
  tain_now_set_stopwatch_g() ;
  for (unsigned int i = 0 ; i < workers ; i++)
    if (!start_worker(lfd, maxuse)) break ;
  if (!alive) strerr_dief1x(111, "no worker could be started") ;
  if (notif >= 0)
  {
    if (fd_write(notif, "\n", 1) < 1) strerr_diefusys(111, "write to the notification fd") ;
    fd_close(notif) ;
  }
  {
    logline l ;
    log_begin(&l, "start") ;
    log_kvu(&l, "workers", alive) ;
    log_kvu(&l, "maxuse", maxuse) ;
    log_commit(&l) ;
  }

  /* Bounded: each turn either reaps, starts workers up to the table's
   * size, or waits for a signal or the holdoff. */
  for (;;)
  {
    tain deadline = TAIN_INFINITE ;
    int r ;
    if (stopping && (!alive || !tain_less(&STAMP, &stop_deadline))) return 0 ;
    if (stopping) deadline = stop_deadline ;
    if (!stopping && alive < nslots)
    {
      if (!tain_less(&STAMP, &holdoff))
      {
        while (alive < nslots)
          if (!start_worker(lfd, maxuse)) break ;
      }
      if (alive < nslots) deadline = holdoff ;
    }
    r = iopause_g(&x, 1, &deadline) ;
    if (r < 0) strerr_diefusys(111, "iopause") ;
    if (!r) continue ;
    for (;;)
    {
      int sig = selfpipe_read() ;
      if (sig < 0) strerr_diefusys(111, "read the selfpipe") ;
      if (!sig) break ;
      switch (sig)
      {
        case SIGCHLD : reap() ; break ;
        case SIGTERM :
        case SIGINT :
          /* New clients are refused from the moment the last worker
           * lets the socket go: the idle ones do at once. The parent
           * waits for them, so that "down" means "refusing", but for
           * STOP_GRACE at most: a busy worker finishes its connection
           * on its own, and that may wait on a client (an smtpd whose
           * sender is still in DATA), which a container's stop must not
           * wait for (package/image/shutdown ends what is left). */
          if (!stopping)
          {
            stopping = 1 ;
            fd_close(lfd) ;
            tain_addsec_g(&stop_deadline, STOP_GRACE) ;
            {
              logline l ;
              log_begin(&l, "stopping") ;
              log_kvu(&l, "workers", alive) ;
              log_commit(&l) ;
            }
          }
          signal_workers(SIGTERM) ;
          break ;
        case SIGHUP :
          /* Replace every worker, each once it is idle. */
          signal_workers(SIGTERM) ;
          break ;
        default :
          strerr_dief1x(101, "internal inconsistency: unexpected signal from the selfpipe") ;
      }
    }
  }
}

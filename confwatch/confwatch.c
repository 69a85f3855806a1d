/* ISC license. */

/* confwatch: live reload of docker-mailserver's config folder. It watches
 * $PH_CONFIG_DIR (and its opendkim/, opendkim/keys/, rspamd/,
 * rspamd/dkim/ subdirectories) with inotify and, once the files have
 * been quiet for a moment, runs its command line (the service gives
 * `mailctl update`), which recompiles every map atomically; the daemons
 * pick up the new maps by inode at their next lookup.
 *
 * Security: runs as root (s6 service), because mailctl writes root-owned
 * maps and passwd.cdb's group. It reads nothing but inotify events (file
 * names in a directory root or the admin controls) and trusts none of
 * them: a name only says "something changed", never what to run. It
 * writes nothing itself; what its command writes is mailctl's business.
 * A compromise is a root process: it holds no secret, listens on no
 * socket and takes no input beyond the kernel's event records. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"

#define USAGE "confwatch [ -d notif ] [ -w quiet-ms ] [ -W max-ms ] prog..."
#define dieusage() strerr_dieusage(100, USAGE)

/* The subdirectories watched besides the folder itself: the DKIM keys
 * and tables docker-mailserver keeps there. */
static char const *const subdirs[] = { "", "/opendkim", "/opendkim/keys", "/rspamd", "/rspamd/dkim" } ;
#define NSUB (sizeof(subdirs) / sizeof(subdirs[0]))
#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | IN_MODIFY | IN_ONLYDIR)

static char const *confdir ;

/* (Re)adds the watches: a subdirectory made after the start is watched
 * from the next event on (its creation is itself an event in its
 * parent). inotify_add_watch on a watched directory is a no-op. */
static void add_watches (int ifd)
{
  stralloc sa = STRALLOC_ZERO ;
  for (unsigned int i = 0 ; i < NSUB ; i++)
  {
    sa.len = 0 ;
    if (!stralloc_cats(&sa, confdir) || !stralloc_cats(&sa, subdirs[i]) || !stralloc_0(&sa))
      strerr_diefu1sys(111, "allocate memory") ;
    if (inotify_add_watch(ifd, sa.s, WATCH_MASK) < 0)
    {
      if (!i) strerr_diefu2sys(111, "watch ", sa.s) ;
      if (errno != ENOENT && errno != ENOTDIR) strerr_warnwu2sys("watch ", sa.s) ;
    }
  }
  stralloc_free(&sa) ;
}

/* Names that are nobody's configuration: mailctl's own temporary files
 * (their rename is the event that counts), editors' swap and backup
 * files. */
static int ignored (char const *name)
{
  size_t n = strlen(name) ;
  if (!n) return 0 ;  /* an event on the directory itself */
  if (name[0] == '.' || name[n - 1] == '~' || strstr(name, ".tmp.")) return 1 ;
  if (n > 4 && (!strcmp(name + n - 4, ".swp") || !strcmp(name + n - 4, ".swx"))) return 1 ;
  return !strcmp(name, "4913") ;
}

/* Reads every pending event; returns how many count as changes. */
static unsigned int drain (int ifd)
{
  char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event)))) ;
  unsigned int changes = 0 ;
  for (;;)
  {
    ssize_t r = read(ifd, buf, sizeof(buf)) ;
    size_t pos = 0 ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break ;
      strerr_diefu1sys(111, "read inotify events") ;
    }
    if (!r) break ;
    while (pos + sizeof(struct inotify_event) <= (size_t)r)
    {
      struct inotify_event const *ev = (struct inotify_event const *)(buf + pos) ;
      pos += sizeof(struct inotify_event) + ev->len ;
      if (ev->mask & IN_Q_OVERFLOW) { changes++ ; continue ; }
      if (ev->mask & IN_IGNORED) continue ;
      if (ev->len && ignored(ev->name)) continue ;
      changes++ ;
      if (log_verbosity >= 2) log_event1("change", "name", ev->len ? ev->name : "") ;
    }
  }
  return changes ;
}

static void run (char const *const *argv, unsigned int changes)
{
  extern char **environ ;
  int wstat ;
  tain start, end ;
  pid_t pid ;
  tain_now(&start) ;
  pid = child_spawn0(argv[0], argv, (char const *const *)environ) ;
  if (!pid) { strerr_warnwu2sys("spawn ", argv[0]) ; return ; }
  if (waitpid_nointr(pid, &wstat, 0) < 0) strerr_diefu1sys(111, "wait for the update") ;
  tain_now(&end) ;
  tain_sub(&end, &end, &start) ;
  {
    logline l ;
    log_begin(&l, WIFEXITED(wstat) && !WEXITSTATUS(wstat) ? "reload" : "reload_failed") ;
    log_kvu(&l, "changes", changes) ;
    if (WIFEXITED(wstat)) log_kvu(&l, "exit", WEXITSTATUS(wstat)) ;
    else log_kvu(&l, "signal", WTERMSIG(wstat)) ;
    log_kvu(&l, "ms", tain_to_millisecs(&end)) ;
    log_commit(&l) ;
  }
}

int main (int argc, char const *const *argv)
{
  iopause_fd x[2] = { { .fd = -1, .events = IOPAUSE_READ }, { .fd = -1, .events = IOPAUSE_READ } } ;
  unsigned int quiet = 200, most = 2000, pending = 0 ;
  int notif = -1 ;
  int cont = 1 ;
  tain due, cap ;
  PROG = "confwatch" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "d:w:W:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'd' : { unsigned int u ; if (!uint0_scan(l.arg, &u)) dieusage() ; notif = (int)u ; break ; }
        case 'w' : if (!uint0_scan(l.arg, &quiet) || quiet > 60000) dieusage() ; break ;
        case 'W' : if (!uint0_scan(l.arg, &most) || most > 600000) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!argc) dieusage() ;
  if (most < quiet) most = quiet ;
  config_load() ;
  confdir = config_get("PH_CONFIG_DIR") ;
  if (!confdir) strerr_dienotset(100, "PH_CONFIG_DIR") ;

  x[1].fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC) ;
  if (x[1].fd < 0) strerr_diefu1sys(111, "create an inotify instance") ;
  add_watches(x[1].fd) ;
  x[0].fd = selfpipe_init() ;
  if (x[0].fd < 0) strerr_diefu1sys(111, "create the selfpipe") ;
  {
    sigset_t set ;
    sigemptyset(&set) ;
    sigaddset(&set, SIGTERM) ;
    sigaddset(&set, SIGHUP) ;
    if (!selfpipe_trapset(&set)) strerr_diefu1sys(111, "trap signals") ;
  }
  /* What changed between the last compilation (mkruntime's) and the
   * watches is caught by one update now, before readiness. */
  run(argv, 0) ;
  log_event1("start", "dir", confdir) ;
  if (notif >= 0)
  {
    if (fd_write(notif, "\n", 1) < 1) strerr_diefu1sys(111, "write to the notification fd") ;
    fd_close(notif) ;
  }
  tain_now_set_stopwatch_g() ;
  while (cont)
  {
    int r = iopause_g(x, 2, pending ? &due : &tain_infinite) ;
    if (r < 0) strerr_diefu1sys(111, "iopause") ;
    if (x[0].revents & IOPAUSE_READ)
    {
      for (;;)
      {
        int sig = selfpipe_read() ;
        if (sig < 0) strerr_diefu1sys(111, "read the selfpipe") ;
        if (!sig) break ;
        if (sig == SIGTERM) cont = 0 ;
        if (sig == SIGHUP && !pending) { pending = 1 ; tain_copynow(&due) ; tain_copynow(&cap) ; }
      }
    }
    if (x[1].revents & IOPAUSE_READ)
    {
      unsigned int n = drain(x[1].fd) ;
      if (n)
      {
        /* wait until the files have been quiet for `quiet` ms, but never
         * longer than `most` ms after the first change */
        tain d ;
        if (!pending)
        {
          tain_from_millisecs(&d, (int)most) ;
          tain_add_g(&cap, &d) ;
        }
        pending += n ;
        tain_from_millisecs(&d, (int)quiet) ;
        tain_add_g(&due, &d) ;
        if (tain_less(&cap, &due)) due = cap ;
      }
    }
    if (pending && !tain_less(&STAMP, &due) && cont)
    {
      unsigned int n = pending ;
      pending = 0 ;
      add_watches(x[1].fd) ;
      run(argv, n) ;
      tain_now_g() ;
    }
  }
  return 0 ;
}

/* ISC license. */

/* queued: the queue scheduler (docs/queue.md).
 *
 * Security. Runs as phqueue, started by s6 (s6-setuidgid phqueue). It
 * trusts the queue files no more than it must: queue/ is its own (mode
 * 0700), but tmp/ and incoming/ are written by queued-inject (phinject,
 * whose group queued is in; docs/queue.md, "Who writes what"), so what
 * it takes from incoming/ is parsed as untrusted input: every queue file
 * strictly, and what does not parse is set aside (corrupt/); so are the
 * names in the trigger FIFO (qtrigger.h), which only ever point it at
 * incoming/<qid> for a valid qid. It trusts the delivery agents' replies (deliverd,
 * deliverd-remote) and the filter programs' answers only as far as their
 * format: each is checked, bounded, and a bad one is a temporary failure.
 * It reads domains.cdb (root's) to route recipients. It writes only under
 * $PH_QUEUE_DIR (state journals, renames, removals, the notifications it
 * generates, filtered copies of messages, its control socket), plus
 * $PH_STATE/queue-stats/counts (queued/qstats.h), and
 * connects only to $PH_RUN_DIR/deliverd.sock, remote.sock and
 * filter.sock. It reads message bodies only to feed the filters, to
 * return them in notifications and to copy them with the filters'
 * headers; otherwise it passes the fd. The filter programs parse
 * untrusted mail, so they are not as trusted as queued: they run as
 * phfilter, started by filterrun on filter.sock, and get only the two
 * pipe ends of their stdin and stdout (nothing of the queue); what they
 * answer is checked like any untrusted input, and a filter service that
 * is down only delays mail. The control socket takes commands from root and phqueue only. A
 * compromise gives the phqueue uid: queued mail could be read, forged or
 * dropped, but mailboxes (vmail), keys and config stay out of reach.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/config.h"
#include "common/log.h"
#include "queued/qconf.h"
#include "queued/qconn.h"
#include "queued/qctl.h"
#include "queued/qdir.h"
#include "queued/qdispatch.h"
#include "queued/qfilter.h"
#include "queued/qmsg.h"
#include "queued/qpool.h"
#include "queued/qroute.h"
#include "queued/qscan.h"
#include "queued/qtrigger.h"
#include "queued/qsched.h"
#include "queued/qstats.h"

#define USAGE "queued [ -v verbosity ] [ -d notif ]"
#define dieusage() strerr_dieusage(100, USAGE)

/* SIGTERM: replies already on their way get this long to arrive. */
#define STOP_GRACE 5
/* Paired with queued-inject's MESSAGE_DEATH (24 h): a tmp/ entry whose
 * process still exists is removed only when older than this. */
#define TMP_OSSIFIED (36 * 3600)

static int trigfd = -1 ;
static int stopping = 0 ;
static tain stopdeadline ;
static tain next_rescan ;
static int backlog = 0 ;   /* a scan stopped at the in-memory limit */

static unsigned int busy_count (void)
{
  return qpool_busy(pools + QPOOL_LOCAL) + qpool_busy(pools + QPOOL_REMOTE) ;
}

static void check_timeouts (qpool *p)
{
  for (unsigned int k = 0 ; k < p->n ; k++)
  {
    qconn *c = p->conns + k ;
    if (c->fd < 0 || tain_less(&STAMP, &c->deadline)) continue ;
    if (!c->m) { qconn_close(c) ; continue ; }
    {
      logline l ;
      log_begin(&l, "timeout") ;
      log_kv(&l, "qid", c->m->qid) ;
      log_kv(&l, "rcpt", qmsg_addr(c->m, c->rcpts[0])) ;
      log_kvu(&l, "rcpts", c->nrcpt) ;
      log_commit(&l) ;
    }
    qpool_lost(p, c, "4.4.1 no answer from the delivery agent in time") ;
  }
}

static void rescan (void)
{
  qdir_clean_tmp(TMP_OSSIFIED) ;
  backlog = qscan_queue() ;
  backlog |= qscan_incoming() ;
  qsched_expire(&STAMP) ;
  tain_addsec_g(&next_rescan, (int)conf.rescan) ;
}

/* Messages left on disk at the in-memory limit: scan again once a
 * quarter of the room is free, not at every removal (a scan of queue/
 * reads the whole directory). */
static void maybe_backlog (void)
{
  if (!backlog || qsched_count() >= conf.active_max - conf.active_max / 4) return ;
  backlog = qscan_queue() ;
  backlog |= qscan_incoming() ;
}

static void take_named (char const *s, size_t len, void *arg)
{
  (void)arg ;
  qscan_incoming_named(s, len) ;
}

/* The trigger names the messages queued-inject committed (qtrigger.h):
 * each is taken and handed out at once, before incoming/ is read; the
 * caller scans it after all the same, for what no line named (a write
 * lost to a full FIFO, a line cut at the end of a read). Bounded: the
 * FIFO's capacity per call; more wakes the next pass. */
static qtrigger trigger = QTRIGGER_ZERO ;   /* across calls: a read may end inside a line */

static void take_triggered (void)
{
  char buf[4096] ;
  for (unsigned int k = 0 ; k < 16 ; k++)
  {
    ssize_t r = fd_read(trigfd, buf, sizeof(buf)) ;
    if (r <= 0) break ;
    qtrigger_lines(&trigger, buf, (size_t)r, &take_named, 0) ;
    if (r < (ssize_t)sizeof(buf)) break ;
  }
}

static void handle_signals (void)
{
  for (;;)
  {
    int sig = selfpipe_read() ;
    switch (sig)
    {
      case -1 : strerr_diefusys(111, "read selfpipe") ;
      case 0 : return ;
      case SIGTERM :
      case SIGINT :
        if (!stopping)
        {
          stopping = 1 ;
          tain_addsec_g(&stopdeadline, STOP_GRACE) ;
          qfilter_stop() ;   /* unfinished filter runs are redone after the restart */
          {
            logline l ;
            log_begin(&l, "stopping") ;
            log_kvu(&l, "inflight", busy_count()) ;
            log_commit(&l) ;
          }
        }
        break ;
      case SIGHUP :
        next_rescan = STAMP ;
        break ;
      default : break ;
    }
  }
}

static void lower (tain *deadline, tain const *t)
{
  if (tain_less(t, deadline)) *deadline = *t ;
}

static void conn_deadlines (qpool const *p, tain *deadline)
{
  for (unsigned int k = 0 ; k < p->n ; k++)
    if (p->conns[k].fd >= 0) lower(deadline, &p->conns[k].deadline) ;
}

static unsigned int conn_pollfds (qpool const *p, iopause_fd *x, unsigned int *which, unsigned int base)
{
  unsigned int n = 0 ;
  for (unsigned int k = 0 ; k < p->n ; k++)
  {
    if (p->conns[k].fd < 0) continue ;
    x[n].fd = p->conns[k].fd ;
    x[n].events = IOPAUSE_READ | (qconn_wantwrite(p->conns + k) ? IOPAUSE_WRITE : 0) ;
    which[n++] = base + k ;
  }
  return n ;
}

int main (int argc, char const *const *argv)
{
  int notif = -1 ;
  int lockfd ;
  int trigwfd ;
  int spfd ;
  unsigned int maxfds ;
  iopause_fd *x ;
  unsigned int *which ;
  PROG = "queued" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:d:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &log_verbosity)) dieusage() ; break ;
        case 'd' : { unsigned int u ; if (!uint0_scan(l.arg, &u) || u < 3) dieusage() ; notif = (int)u ; break ; }
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (notif >= 0 && fcntl(notif, F_GETFD) < 0) strerr_dief(100, "notification fd is not open") ;

  if (!config_init())
  {
    if (errno == EINVAL)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, config_error_line())] = 0 ;
      strerr_dief(100, "syntax error in $PH_ENVFILE line ", fmt) ;
    }
    strerr_diefusys(111, "read $PH_ENVFILE") ;
  }
  qconf_read() ;
  {
    char const *why ;
    if (!qfilter_config(conf.filters_in, conf.filters_out, &why)) strerr_dief(100, "invalid PH_FILTERS_INBOUND or PH_FILTERS_OUTBOUND: ", why) ;
  }
  umask(077) ;
  if (chdir(conf.qdir) < 0) strerr_diefusys(111, "chdir to ", conf.qdir) ;
  lockfd = qdir_lock() ;
  if (lockfd < 0)
  {
    if (errno == EBUSY) strerr_dief(111, "another queued holds ", conf.qdir, "/lock") ;
    strerr_diefusys(111, "lock ", conf.qdir, "/lock") ;
  }
  if (!qdir_init()) strerr_diefusys(111, "create the queue directories in ", conf.qdir) ;

  /* Holding a write end too means the FIFO never reports EOF when the
   * last queued-inject closes it, so iopause never spins on it. */
  trigfd = open("trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (trigfd < 0) strerr_diefusys(111, "open trigger for reading") ;
  trigwfd = open("trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) ;
  if (trigwfd < 0) strerr_diefusys(111, "open trigger for writing") ;

  spfd = selfpipe_init() ;
  if (spfd < 0) strerr_diefusys(111, "init selfpipe") ;
  if (sig_altignore(SIGPIPE) < 0) strerr_diefusys(111, "ignore SIGPIPE") ;
  {
    sigset_t set ;
    sigemptyset(&set) ;
    sigaddset(&set, SIGTERM) ;
    sigaddset(&set, SIGINT) ;
    sigaddset(&set, SIGHUP) ;
    if (!selfpipe_trapset(&set)) strerr_diefusys(111, "trap signals") ;
  }

  if (!qroute_open(conf.cdbdir)) strerr_diefusys(111, "open the maps in ", conf.cdbdir) ;
  if (!qpool_init(pools + QPOOL_LOCAL, "deliverd_unavailable", conf.socket, conf.concurrency, 1, 1)
   || !qpool_init(pools + QPOOL_REMOTE, "remote_unavailable", conf.remote_socket, conf.remote_concurrency, conf.remote_rcpt_max, 0)
   || !qdomain_init(conf.remote_concurrency)
   || !qdispatch_init(conf.remote_rcpt_max)
   || !qfilter_init(conf.filter_concurrency))
    strerr_diefusys(111, "allocate") ;
  if (!qctl_open()) strerr_diefusys(111, "create the control socket ", conf.qdir, "/control") ;
  maxfds = 2 + QCTL_MAXFDS + qfilter_maxfds() + conf.concurrency + conf.remote_concurrency ;
  x = malloc(maxfds * sizeof(iopause_fd)) ;
  which = malloc(maxfds * sizeof(unsigned int)) ;
  if (!x || !which) strerr_diefusys(111, "allocate") ;

  tain_now_set_stopwatch_g() ;
  next_rescan = STAMP ;   /* the first scan happens at once */
  {
    logline l ;
    log_begin(&l, "start") ;
    log_kvu(&l, "concurrency", conf.concurrency) ;
    log_kvu(&l, "remote_concurrency", conf.remote_concurrency) ;
    log_kvu(&l, "retry_min", conf.retry_min) ;
    log_kvu(&l, "retry_max", conf.retry_max) ;
    log_kvu(&l, "lifetime", conf.lifetime) ;
    log_commit(&l) ;
  }
  if (notif >= 0)
  {
    if (fd_write(notif, "\n", 1) < 1) strerr_diefusys(111, "write to notification fd") ;
    fd_close(notif) ;
  }

  for (;;)
  {
    unsigned int n = 2, nctl, nfilter, nconn ;
    tain deadline ;
    int r ;

    tain_now_g() ;
    check_timeouts(pools + QPOOL_LOCAL) ;
    check_timeouts(pools + QPOOL_REMOTE) ;
    qfilter_timeouts(&STAMP) ;
    qctl_timeouts(&STAMP) ;
    if (stopping)
    {
      if (!busy_count() || !tain_less(&STAMP, &stopdeadline)) break ;
      deadline = stopdeadline ;
    }
    else
    {
      if (!tain_less(&STAMP, &next_rescan)) rescan() ;
      else maybe_backlog() ;
      qctl_backlog = backlog ;
      deadline = next_rescan ;
      qfilter_start_due(&STAMP, &deadline) ;
      qdispatch(&deadline) ;
      qsched_warn(&STAMP, &deadline) ;
    }
    conn_deadlines(pools + QPOOL_LOCAL, &deadline) ;
    conn_deadlines(pools + QPOOL_REMOTE, &deadline) ;
    qfilter_deadline(&deadline) ;
    qctl_deadline(&deadline) ;
    qstats_tick(&STAMP, &deadline) ;

    x[0].fd = spfd ; x[0].events = IOPAUSE_READ ;
    x[1].fd = trigfd ; x[1].events = stopping ? 0 : IOPAUSE_READ ;
    nctl = stopping ? 0 : qctl_pollfds(x + n) ;
    n += nctl ;
    nfilter = qfilter_pollfds(x + n) ;
    n += nfilter ;
    nconn = conn_pollfds(pools + QPOOL_LOCAL, x + n, which + n, 0) ;
    nconn += conn_pollfds(pools + QPOOL_REMOTE, x + n + nconn, which + n + nconn, conf.concurrency) ;
    r = iopause_g(x, n + nconn, &deadline) ;
    if (r < 0) strerr_diefusys(111, "iopause") ;
    if (!r) continue ;

    if (x[0].revents & IOPAUSE_READ) handle_signals() ;
    if (!stopping && x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))
    {
      take_triggered() ;
      if (qscan_incoming()) backlog = 1 ;
    }
    qctl_events(x + 2, nctl) ;
    qfilter_events(x + 2 + nctl, nfilter) ;
    for (unsigned int j = n ; j < n + nconn ; j++)
    {
      qpool *p = which[j] < conf.concurrency ? pools + QPOOL_LOCAL : pools + QPOOL_REMOTE ;
      qconn *c = p->conns + (which[j] < conf.concurrency ? which[j] : which[j] - conf.concurrency) ;
      if (c->fd != x[j].fd) continue ;   /* closed meanwhile */
      if (x[j].revents & IOPAUSE_WRITE && !qconn_flush(c))
      {
        qpool_lost(p, c, "4.4.2 cannot send to the delivery agent") ;
        continue ;
      }
      if (x[j].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) qpool_read(p, c) ;
    }
  }

  {
    unsigned int abandoned = busy_count() ;
    for (unsigned int k = 0 ; k < conf.concurrency ; k++) qconn_close(pools[QPOOL_LOCAL].conns + k) ;
    for (unsigned int k = 0 ; k < conf.remote_concurrency ; k++) qconn_close(pools[QPOOL_REMOTE].conns + k) ;
    {
      logline l ;
      log_begin(&l, "stop") ;
      log_kvu(&l, "abandoned", abandoned) ;
      log_commit(&l) ;
    }
  }
  fd_close(trigwfd) ;
  fd_close(lockfd) ;
  return 0 ;
}

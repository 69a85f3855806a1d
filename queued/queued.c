/* ISC license. */

/* queued: the queue scheduler (docs/queue.md).
 *
 * Security. Runs as phqueue, started by s6 (s6-setuidgid phqueue). It
 * trusts the queue files: only phqueue can write $PH_QUEUE_DIR (mode
 * 0700), and queued-inject, which writes incoming/, runs as phqueue too.
 * It still parses every queue file strictly and sets aside (corrupt/)
 * what does not parse. It trusts deliverd's replies only as far as their
 * format: each is checked, and a bad one is a temporary failure. It
 * writes only under $PH_QUEUE_DIR (state journals, renames, removals) and
 * connects only to $PH_RUN_DIR/deliverd.sock. It never reads message
 * bodies: it opens the file read-only and passes the fd. A compromise
 * gives the phqueue uid: queued mail could be read, forged or dropped,
 * but mailboxes (vmail), keys and config stay out of reach.
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
#include "queued/qdir.h"
#include "queued/qmsg.h"
#include "queued/qreply.h"
#include "queued/qscan.h"
#include "queued/qsched.h"

#define USAGE "queued [ -v verbosity ] [ -d notif ]"
#define dieusage() strerr_dieusage(100, USAGE)

/* Reconnection to deliverd: 1 s, doubling, at most 30 s, so a deliverd
 * that comes back is used within 30 s and one that is down costs a
 * connect attempt every 30 s, never a busy loop. */
#define CONNECT_BACKOFF_MIN 1
#define CONNECT_BACKOFF_MAX 30
/* An idle connection is closed after this: deliverd is one process per
 * connection, and an idle one only holds memory. */
#define IDLE_CLOSE 30
/* SIGTERM: replies already on their way get this long to arrive. */
#define STOP_GRACE 5
/* Paired with queued-inject's MESSAGE_DEATH (24 h): a tmp/ entry whose
 * process still exists is removed only when older than this. */
#define TMP_OSSIFIED (36 * 3600)

static qconn *conns ;
static int trigfd = -1 ;
static int stopping = 0 ;
static tain stopdeadline ;
static tain next_rescan ;
static unsigned int backoff = 0 ;
static tain next_connect ;
static int backlog = 0 ;   /* a scan stopped at the in-memory limit */

static unsigned int busy_count (void)
{
  unsigned int n = 0 ;
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
    if (conns[k].fd >= 0 && conns[k].m) n++ ;
  return n ;
}

static void connect_failed (char const *what)
{
  backoff = backoff ? backoff * 2 : CONNECT_BACKOFF_MIN ;
  if (backoff > CONNECT_BACKOFF_MAX) backoff = CONNECT_BACKOFF_MAX ;
  tain_addsec_g(&next_connect, (int)backoff) ;
  {
    logline l ;
    log_begin(&l, "deliverd_unavailable") ;
    log_kv(&l, "error", what) ;
    log_kvu(&l, "retry", backoff) ;
    log_commit(&l) ;
  }
}

/* The connection is unusable: close it; a request in flight is deferred
 * (deliverd may or may not have delivered it: at least once). */
static void conn_lost (qconn *c, char const *text)
{
  qmsg *m = c->m ;
  size_t i = c->rcpt ;
  qconn_close(c) ;
  if (!m) return ;
  connect_failed(text) ;
  qsched_defer(m, i, text) ;
}

static qconn *get_conn (void)
{
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
    if (conns[k].fd >= 0 && !conns[k].m) return conns + k ;
  if (tain_less(&STAMP, &next_connect)) return 0 ;
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
  {
    if (conns[k].fd >= 0) continue ;
    if (!qconn_open(conns + k, conf.socket))
    {
      connect_failed(strerror(errno)) ;
      return 0 ;
    }
    return conns + k ;
  }
  return 0 ;
}

static int open_mess (qmsg const *m)
{
  size_t n = strlen(m->qid) ;
  char path[12 + QID_MAX + 1] ;
  memcpy(path, "queue/", 6) ;
  memcpy(path + 6, m->qid, n) ;
  memcpy(path + 6 + n, "/mess", 6) ;
  return open(path, O_RDONLY | O_CLOEXEC) ;
}

/* Hands due recipients to deliverd while there is a connection for them. */
static void dispatch (void)
{
  for (;;)
  {
    size_t i ;
    qconn *c ;
    int fd ;
    qmsg *m = qsched_next_due(&STAMP, &i) ;
    if (!m) return ;
    if (!tain_less(&STAMP, &m->expire))
    {
      qsched_fail_expired(m, i) ;
      continue ;
    }
    c = get_conn() ;
    if (!c) return ;
    fd = open_mess(m) ;
    if (fd < 0)
    {
      qsched_defer(m, i, "4.3.0 cannot open the queue file") ;
      continue ;
    }
    qsched_dispatched(m, i) ;
    tain_addsec_g(&c->deadline, (int)conf.timeout) ;
    if (!qconn_send(c, m, i, fd)) conn_lost(c, "4.4.2 cannot send to deliverd") ;
  }
}

static void conn_read (qconn *c)
{
  for (;;)
  {
    unixmessage msg ;
    qreply rep ;
    qmsg *m ;
    size_t i ;
    int r = unixmessage_receive(&c->io.in, &msg) ;
    if (!r) return ;
    if (r < 0)
    {
      conn_lost(c, errno == EPIPE ? "4.4.2 deliverd closed the connection" : "4.4.2 cannot read from deliverd") ;
      return ;
    }
    if (!c->m)
    {
      log_event1("protocol_error", "reason", "reply from deliverd without a request") ;
      qconn_close(c) ;
      return ;
    }
    if (!qreply_parse(msg.s, msg.len, &rep))
    {
      log_event2("protocol_error", "qid", c->m->qid, "reason", "malformed reply from deliverd") ;
      conn_lost(c, "4.3.0 malformed reply from deliverd") ;
      return ;
    }
    m = c->m ;
    i = c->rcpt ;
    c->m = 0 ;
    tain_addsec_g(&c->deadline, IDLE_CLOSE) ;
    backoff = 0 ;   /* deliverd works */
    qsched_result(m, i, &rep) ;
  }
}

static void check_timeouts (void)
{
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
  {
    qconn *c = conns + k ;
    if (c->fd < 0 || tain_less(&STAMP, &c->deadline)) continue ;
    if (!c->m) { qconn_close(c) ; continue ; }
    {
      logline l ;
      log_begin(&l, "timeout") ;
      log_kv(&l, "qid", c->m->qid) ;
      log_kv(&l, "rcpt", qmsg_addr(c->m, c->rcpt)) ;
      log_commit(&l) ;
    }
    conn_lost(c, "4.4.1 no answer from deliverd in time") ;
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

static void drain_trigger (void)
{
  char buf[256] ;
  for (unsigned int k = 0 ; k < 64 ; k++)
    if (fd_read(trigfd, buf, sizeof(buf)) < (ssize_t)sizeof(buf)) break ;
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

/* The earliest time something must happen without any I/O. */
static void compute_deadline (tain *deadline)
{
  unsigned int open = 0, idle = 0 ;
  if (stopping) *deadline = stopdeadline ;
  else *deadline = next_rescan ;
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
  {
    if (conns[k].fd < 0) continue ;
    open++ ;
    if (!conns[k].m) idle++ ;
    if (tain_less(&conns[k].deadline, deadline)) *deadline = conns[k].deadline ;
  }
  if (stopping) return ;
  /* Wake for due recipients only when they could be sent: with every
   * connection busy, a reply wakes us; in connect backoff, its end does. */
  if (idle || (open < conf.concurrency && !tain_less(&STAMP, &next_connect)))
    qsched_earliest(deadline) ;
  else if (open < conf.concurrency)
  {
    tain due = tain_infinite ;
    qsched_earliest(&due) ;
    if (tain_less(&due, &tain_infinite))
    {
      if (tain_less(&due, &next_connect)) due = next_connect ;
      if (tain_less(&due, deadline)) *deadline = due ;
    }
  }
}

int main (int argc, char const *const *argv)
{
  int notif = -1 ;
  int lockfd ;
  int trigwfd ;
  int spfd ;
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

  conns = malloc(sizeof(qconn) * conf.concurrency) ;
  if (!conns) strerr_diefusys(111, "allocate connections") ;
  for (unsigned int k = 0 ; k < conf.concurrency ; k++)
  {
    conns[k].fd = -1 ;
    conns[k].m = 0 ;
  }

  tain_now_set_stopwatch_g() ;
  next_rescan = STAMP ;   /* the first scan happens at once */
  next_connect = STAMP ;
  {
    logline l ;
    log_begin(&l, "start") ;
    log_kvu(&l, "concurrency", conf.concurrency) ;
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
    iopause_fd x[2 + conf.concurrency] ;
    unsigned int which[2 + conf.concurrency] ;
    unsigned int n = 2 ;
    tain deadline ;
    int r ;

    tain_now_g() ;
    check_timeouts() ;
    if (stopping)
    {
      if (!busy_count() || !tain_less(&STAMP, &stopdeadline)) break ;
    }
    else
    {
      if (!tain_less(&STAMP, &next_rescan)) rescan() ;
      else maybe_backlog() ;
      dispatch() ;
    }

    compute_deadline(&deadline) ;
    x[0].fd = spfd ; x[0].events = IOPAUSE_READ ;
    x[1].fd = trigfd ; x[1].events = stopping ? 0 : IOPAUSE_READ ;
    for (unsigned int k = 0 ; k < conf.concurrency ; k++)
    {
      if (conns[k].fd < 0) continue ;
      x[n].fd = conns[k].fd ;
      x[n].events = IOPAUSE_READ | (qconn_wantwrite(conns + k) ? IOPAUSE_WRITE : 0) ;
      which[n++] = k ;
    }
    r = iopause_g(x, n, &deadline) ;
    if (r < 0) strerr_diefusys(111, "iopause") ;
    if (!r) continue ;

    if (x[0].revents & IOPAUSE_READ) handle_signals() ;
    if (x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))
    {
      drain_trigger() ;
      if (!stopping && qscan_incoming()) backlog = 1 ;
    }
    for (unsigned int j = 2 ; j < n ; j++)
    {
      qconn *c = conns + which[j] ;
      if (c->fd != x[j].fd) continue ;   /* closed meanwhile */
      if (x[j].revents & IOPAUSE_WRITE && !qconn_flush(c))
      {
        conn_lost(c, "4.4.2 cannot send to deliverd") ;
        continue ;
      }
      if (x[j].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) conn_read(c) ;
    }
  }

  {
    unsigned int abandoned = busy_count() ;
    for (unsigned int k = 0 ; k < conf.concurrency ; k++) qconn_close(conns + k) ;
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

/* ISC license. */

/* tcpd: the UCSPI TCP super-server, after s6-tcpserver.
 *
 * Security: tcpd starts as root only to bind a privileged port; it drops
 * to the handler's uid and gid (-U or -u/-g: setgroups, setgid, setuid,
 * then it checks that setuid(0) fails) before it accepts a single
 * connection, so no client byte ever meets a root process. Started as
 * root without -U or -u, it refuses to run, unless -R says that the
 * handler chain drops privileges itself (a TLS helper that reads its key
 * as root, then drops, then runs the protocol program under yet another
 * uid: s6-tcpserver run as root, s6-applyuidgid in the chain). With -R,
 * tcpd and the start of each handler chain stay root: the chain, not
 * tcpd, is then what keeps client bytes away from root. It reads
 * nothing from clients but, with -p, the PROXY header of the proxies it
 * is told to trust (their address checked first; at most 1040 bytes,
 * read exactly under a deadline by common/proxyproto, which does not
 * allocate and is fuzzed): that parser then runs as root under -R. It
 * only accepts, looks the address up in
 * bans.cdb and access.cdb (mmapped, every record length checked), and
 * hands the socket to a handler. It writes nothing on disk. A compromise
 * gives the handler's uid (phsmtpd: no files, no secrets), or root with
 * -R, and the power to refuse connections or signal its own children. */

#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <skalibs/alloc.h>
#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/selfpipe.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>
#include <skalibs/socket.h>
#include <skalibs/ip46.h>

#include "common/log.h"
#include "smtpd/smtp_relaynet.h"
#include "tcpd.h"

#define USAGE "tcpd [ -46 ] [ -v verbosity ] [ -d notif-fd ] [ -c maxconn ] [ -C maxconn-per-ip ] [ -b backlog ] [ -U | -u uid -g gid | -R ] [ -a access.cdb ] [ -B bans.cdb ] [ -m banned-message ] [ -r conn-per-minute-per-ip ] [ -M limit-message ] [ -p proxy-networks [ -P seconds ] ] ip port prog..."
#define dieusage() strerr_dieusage(100, USAGE)

#define ABSOLUTE_MAXCONN 16384
#define ACCEPT_BACKOFF_MS 500

static uint32_t maxconn = 40 ;
static uint32_t maxconn_ip = 20 ;
static int listener = -1 ;
static int is6 = 0 ;
static int cont = 1 ;
static int accept_failing = 0 ;
static tain backoff = TAIN_ZERO ;  /* accept paused until then; zero = not paused */
static char banmsg[TCPD_MESSAGE_MAX] ;
static size_t banmsglen = 0 ;
static char limitmsg[TCPD_MESSAGE_MAX] ;
static size_t limitmsglen = 0 ;
static uint32_t connrate = 0 ;
static smtp_relaynets proxynets ;  /* -p: who may send a PROXY header */
static int useproxy = 0 ;
int const tcpd_trapped_signals[TCPD_NTRAPPED] = { SIGCHLD, SIGTERM, SIGHUP, SIGQUIT, SIGABRT } ;
static tcpd_spawnopts spawnopts = { .argv = 0, .unexport_uidgid = 0 } ;

static void log_end (pid_t pid, ip46 const *ip, int wstat)
{
  logline l ;
  char fmt[IP46_FMT] ;
  fmt[ip46_fmt(fmt, ip)] = 0 ;
  log_begin(&l, "end") ;
  log_kv(&l, "ip", fmt) ;
  log_kvu(&l, "pid", (uint64_t)pid) ;
  if (WIFSIGNALED(wstat))
  {
    char sig[4 + 16] = "SIG" ;
    char const *name = sig_name(WTERMSIG(wstat)) ;
    size_t n = strlen(name) ;
    if (n > 16) n = 16 ;
    memcpy(sig + 3, name, n) ;
    sig[3 + n] = 0 ;
    log_kv(&l, "status", sig) ;
  }
  else log_kvu(&l, "status", (uint64_t)WEXITSTATUS(wstat)) ;
  log_commit(&l) ;
}

static void reap (void)
{
  for (;;)
  {
    ip46 ip ;
    int wstat ;
    pid_t pid = wait_nohang(&wstat) ;
    if (pid < 0)
    {
      if (errno == ECHILD) break ;
      strerr_diefu1sys(111, "wait for children") ;
    }
    if (!pid) break ;
    if (tcpd_conntable_remove(pid, &ip)) log_end(pid, &ip, wstat) ;
  }
}

static void stop_accepting (void)
{
  cont = 0 ;
  fd_close(listener) ;
  listener = -1 ;
}

static void handle_signals (void)
{
  for (;;)
  {
    int sig = selfpipe_read() ;
    switch (sig)
    {
      case -1 : strerr_diefu1sys(111, "read the selfpipe") ;
      case 0 : return ;
      case SIGCHLD : reap() ; break ;
      case SIGTERM :  /* s6: stop accepting and exit; sessions finish */
        log_event1("stop", "signal", "SIGTERM") ;
        stop_accepting() ;
        break ;
      case SIGHUP :  /* end the sessions, keep serving */
        log_event1("kill_children", "signal", "SIGHUP") ;
        tcpd_conntable_kill(SIGTERM) ;
        tcpd_conntable_kill(SIGCONT) ;
        break ;
      case SIGQUIT :
        log_event1("stop", "signal", "SIGQUIT") ;
        tcpd_conntable_kill(SIGTERM) ;
        tcpd_conntable_kill(SIGCONT) ;
        stop_accepting() ;
        break ;
      case SIGABRT :
        log_event1("stop", "signal", "SIGABRT") ;
        tcpd_conntable_kill(SIGKILL) ;
        stop_accepting() ;
        break ;
      default : strerr_dief1x(101, "unexpected signal from the selfpipe: please submit a bug-report") ;
    }
  }
}

/* The connection's own failure, reported by accept on Linux: drop it
 * and carry on. Anything else (EMFILE, ENFILE, ENOBUFS, ENOMEM...) would
 * fail again at once, so the listener is left alone for a moment. */
static int accept_error_is_transient (int e)
{
  return error_isagain(e) || e == EINTR || e == ECONNABORTED || e == EPROTO
    || e == ENETDOWN || e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET
    || e == EHOSTUNREACH || e == EOPNOTSUPP || e == ENETUNREACH || e == EPERM ;
}

static void accept_failed (void)
{
  int e = errno ;
  tain d ;
  if (accept_error_is_transient(e)) return ;
  if (!accept_failing)
  {
    logline l ;
    log_begin(&l, "accept_error") ;
    log_kv(&l, "error", strerror(e)) ;
    log_kvu(&l, "backoff_ms", ACCEPT_BACKOFF_MS) ;
    log_commit(&l) ;
    accept_failing = 1 ;
  }
  tain_from_millisecs(&d, ACCEPT_BACKOFF_MS) ;
  tain_add_g(&backoff, &d) ;
}

static int peer_init (int fd, char const *remote, uint16_t remoteport, tcpd_peer *p)
{
  ip46_from_ip(&p->remote, remote, is6) ;
  p->remoteport = remoteport ;
  p->remotefmt[ip46_fmt(p->remotefmt, &p->remote)] = 0 ;
  if (socket_local46(fd, &p->local, &p->localport) < 0)
  {
    logline l ;
    int e = errno ;
    log_begin(&l, "socket_error") ;
    log_kv(&l, "ip", p->remotefmt) ;
    log_kv(&l, "error", strerror(e)) ;
    log_commit(&l) ;
    return 0 ;
  }
  p->localfmt[ip46_fmt(p->localfmt, &p->local)] = 0 ;
  p->proxyfmt[0] = 0 ;
  p->proxylocal = 0 ;
  return 1 ;
}

/* Best effort and never blocking, as the banned message: the socket was
 * just accepted, its send buffer is empty. */
static void send_limit_message (int fd)
{
  if (!limitmsglen) return ;
  if (send(fd, limitmsg, limitmsglen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return ;
  shutdown(fd, SHUT_WR) ;
}

static void new_connection (int fd, tcpd_peer const *p)
{
  accessrule rule ;
  uint32_t count ;
  pid_t pid ;
  if (!tcpd_admit(fd, p, &rule, banmsg, banmsglen)) return ;
  if (!tcpd_rate_take(&p->remote))
  {
    logline l ;
    send_limit_message(fd) ;
    log_begin(&l, "limit_rate") ;
    log_kv(&l, "ip", p->remotefmt) ;
    log_kvu(&l, "port", p->remoteport) ;
    log_kvu(&l, "max_per_minute", connrate) ;
    log_commit(&l) ;
    return ;
  }
  count = tcpd_conntable_count_ip(&p->remote) ;
  if (count >= maxconn_ip)
  {
    logline l ;
    send_limit_message(fd) ;
    log_begin(&l, "limit_ip") ;
    log_kv(&l, "ip", p->remotefmt) ;
    log_kvu(&l, "port", p->remoteport) ;
    log_kvu(&l, "count", count) ;
    log_kvu(&l, "max", maxconn_ip) ;
    log_commit(&l) ;
    return ;
  }
  pid = tcpd_spawn(fd, p, count + 1, &rule, &spawnopts) ;
  if (!pid) return ;
  tcpd_conntable_add(pid, &p->remote) ;
  {
    logline l ;
    log_begin(&l, "connect") ;
    log_kv(&l, "ip", p->remotefmt) ;
    log_kvu(&l, "port", p->remoteport) ;
    log_kvu(&l, "pid", (uint64_t)pid) ;
    log_kvu(&l, "count", count + 1) ;
    log_kvu(&l, "conns", tcpd_conntable_count()) ;
    log_commit(&l) ;
  }
  if (tcpd_conntable_count() == maxconn)
  {
    logline l ;
    log_begin(&l, "full") ;
    log_kvu(&l, "conns", maxconn) ;
    log_commit(&l) ;
  }
}

static void accept_one (void)
{
  tcpd_peer p ;
  char remote[16] ;
  uint16_t remoteport ;
  int fd = is6 ? socket_accept6_coe(listener, remote, &remoteport) : socket_accept4_coe(listener, remote, &remoteport) ;
  if (fd < 0)
  {
    accept_failed() ;
    return ;
  }
  if (accept_failing)
  {
    logline l ;
    log_begin(&l, "accept_recovered") ;
    log_commit(&l) ;
    accept_failing = 0 ;
  }
  if (!peer_init(fd, remote, remoteport, &p)) { fd_close(fd) ; return ; }
  /* a trusted proxy speaks first: its header names the real client,
   * whom the checks are for (tcpd_proxy.c); anyone else is a client */
  if (useproxy && smtp_relaynets_match(&proxynets, p.remotefmt))
  {
    tcpd_proxy_add(fd, &p) ;
    return ;
  }
  new_connection(fd, &p) ;
  fd_close(fd) ;
}

static void notify_ready (int notif)
{
  if (notif < 0) return ;
  if (fd_write(notif, "\n", 1) < 1) strerr_diefu1sys(111, "write to the notification fd") ;
  fd_close(notif) ;
}

static void log_listening (ip46 const *ip, uint16_t port)
{
  logline l ;
  char fmt[IP46_FMT] ;
  fmt[ip46_fmt(fmt, ip)] = 0 ;
  log_begin(&l, "listening") ;
  log_kv(&l, "ip", fmt) ;
  log_kvu(&l, "port", port) ;
  log_kvu(&l, "maxconn", maxconn) ;
  log_kvu(&l, "maxconn_ip", maxconn_ip) ;
  if (connrate) log_kvu(&l, "connrate_ip", connrate) ;
  log_commit(&l) ;
}

/* The whole string must be an address. skalibs' ip4_scan takes octets
 * modulo 256 (300 reads as 44), so an IPv4 address must also read back
 * the same: that rejects 300 and leading zeros alike. */
static int scan_address (char const *s, ip46 *ip)
{
  size_t n = ip46_scan(s, ip) ;
  if (!n || s[n]) return 0 ;
  if (!ip46_is6(ip))
  {
    char fmt[IP4_FMT] ;
    size_t m = ip4_fmt(fmt, ip->ip) ;
    if (m != n || memcmp(fmt, s, n)) return 0 ;
  }
  return 1 ;
}

int main (int argc, char const *const *argv)
{
  ip46 ip ;
  uint16_t port ;
  unsigned int verbosity = 1 ;
  unsigned int backlog = SOMAXCONN ;
  int notif = -1 ;
  int want4 = 0, want6 = 0, fromenv = 0 ;
  int hasuid = 0, hasgid = 0, chaindrops = 0 ;
  uid_t uid = 0 ;
  gid_t gid = 0 ;
  char const *accesspath = 0 ;
  char const *banspath = 0 ;
  unsigned int proxysecs = 10 ;
  PROG = "tcpd" ;

  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "46v:d:c:C:b:Uu:g:Ra:B:m:r:M:p:P:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case '4' : want4 = 1 ; break ;
        case '6' : want6 = 1 ; break ;
        case 'v' : if (!uint0_scan(l.arg, &verbosity)) dieusage() ; break ;
        case 'd' :  /* not 0-2: once closed, its number would go to a client socket */
        {
          unsigned int u ;
          if (!uint0_scan(l.arg, &u) || u < 3 || u > 1023) dieusage() ;
          notif = (int)u ;
          break ;
        }
        case 'c' : if (!uint320_scan(l.arg, &maxconn)) dieusage() ; break ;
        case 'C' : if (!uint320_scan(l.arg, &maxconn_ip)) dieusage() ; break ;
        case 'b' : if (!uint0_scan(l.arg, &backlog)) dieusage() ; break ;
        case 'U' : fromenv = 1 ; break ;
        case 'u' : if (!uid0_scan(l.arg, &uid)) dieusage() ; hasuid = 1 ; break ;
        case 'g' : if (!gid0_scan(l.arg, &gid)) dieusage() ; hasgid = 1 ; break ;
        case 'R' : chaindrops = 1 ; break ;
        case 'a' : accesspath = l.arg ; break ;
        case 'B' : banspath = l.arg ; break ;
        case 'm' :
        {
          ssize_t r = tcpd_message_unescape(banmsg, TCPD_MESSAGE_MAX, l.arg) ;
          if (r < 0) strerr_dief1x(100, "invalid banned message: bad escape or longer than 512 bytes") ;
          banmsglen = (size_t)r ;
          break ;
        }
        case 'p' :
        {
          size_t errpos = 0 ;
          if (!smtp_relaynets_parse(&proxynets, l.arg, &errpos) || !proxynets.n) strerr_dief2x(100, "invalid proxy network list: ", l.arg) ;
          useproxy = 1 ;
          break ;
        }
        case 'P' : if (!uint0_scan(l.arg, &proxysecs) || !proxysecs || proxysecs > 3600) dieusage() ; break ;
        case 'r' : if (!uint320_scan(l.arg, &connrate) || connrate > 1000000) dieusage() ; break ;
        case 'M' :
        {
          ssize_t r = tcpd_message_unescape(limitmsg, TCPD_MESSAGE_MAX, l.arg) ;
          if (r < 0) strerr_dief1x(100, "invalid limit message: bad escape or longer than 512 bytes") ;
          limitmsglen = (size_t)r ;
          break ;
        }
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc < 3 || !*argv[2]) dieusage() ;
  if (want4 && want6) dieusage() ;
  if (hasuid != hasgid || (fromenv && hasuid) || (chaindrops && (fromenv || hasuid))) dieusage() ;
  /* Keeping root for the handlers must be asked for, never a default */
  if (!fromenv && !hasuid && !chaindrops
   && (!getuid() || !geteuid() || !getgid() || !getegid()))
    strerr_dief1x(100, "refusing to run handlers as root: use -U or -u/-g to drop privileges, or -R if the handler chain drops them itself") ;
  if (!maxconn || maxconn > ABSOLUTE_MAXCONN) strerr_dief1x(100, "maxconn must be between 1 and 16384") ;
  if (!maxconn_ip) strerr_dief1x(100, "maxconn-per-ip must be at least 1") ;
  if (maxconn_ip > maxconn) maxconn_ip = maxconn ;
  if (!backlog || backlog > 65535) strerr_dief1x(100, "backlog must be between 1 and 65535") ;
  if (!scan_address(argv[0], &ip)) strerr_dief2x(100, "invalid IP address: ", argv[0]) ;
  if (!uint160_scan(argv[1], &port)) strerr_dief2x(100, "invalid port: ", argv[1]) ;
  is6 = ip46_is6(&ip) ;
  if ((want4 && is6) || (want6 && !is6)) strerr_dief2x(100, "address family does not match -4/-6: ", argv[0]) ;
  if (notif >= 0 && fcntl(notif, F_GETFD) < 0) strerr_dief1sys(100, "invalid notification fd") ;
  log_verbosity = verbosity ;
  spawnopts.argv = argv + 2 ;
  spawnopts.unexport_uidgid = fromenv ;

  /* fds 0, 1, 2 open, so that an accepted socket is never one of them */
  if (!fd_sanitize()) strerr_diefu1sys(111, "sanitize standard fds") ;

  listener = socket_tcp46_nbcoe(is6) ;
  if (listener < 0) strerr_diefu1sys(111, "create socket") ;
  if (socket_bind46_reuse(listener, &ip, port) < 0) strerr_diefu4sys(111, "bind to ", argv[0], " port ", argv[1]) ;
  if (socket_listen(listener, (int)backlog) < 0) strerr_diefu1sys(111, "listen") ;
  if (!port && socket_local46(listener, &ip, &port) < 0) strerr_diefu1sys(111, "read the bound port") ;

  if (fromenv) tcpd_drop_env() ;
  else if (hasuid) tcpd_drop(uid, gid) ;

  {
    /* the self-pipe, the listener, then the connections waiting for
     * their PROXY header (at most maxconn) */
    iopause_fd *x = alloc((2 + (useproxy ? maxconn : 0)) * sizeof(iopause_fd)) ;
    if (!x) strerr_diefu1sys(111, "allocate memory") ;
    x[0].fd = -1 ; x[0].events = IOPAUSE_READ ;
    x[1].fd = -1 ; x[1].events = IOPAUSE_READ ;
    x[0].fd = selfpipe_init() ;
    if (x[0].fd < 0) strerr_diefu1sys(111, "create the selfpipe") ;
    if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;
    {
      sigset_t set ;
      sigemptyset(&set) ;
      for (unsigned int i = 0 ; i < TCPD_NTRAPPED ; i++) sigaddset(&set, tcpd_trapped_signals[i]) ;
      if (!selfpipe_trapset(&set)) strerr_diefu1sys(111, "trap signals") ;
    }
    tcpd_admit_init(accesspath, banspath) ;
    tcpd_conntable_init(maxconn) ;
    tcpd_rate_init(connrate) ;
    if (useproxy) tcpd_proxy_init(maxconn, proxysecs) ;
    tain_now_set_stopwatch_g() ;
    log_listening(&ip, port) ;
    notify_ready(notif) ;

    while (cont)
    {
      /* interest from state: watch the listener only when there is room
       * for a child and accept is not backing off */
      int paused = tain_less(&STAMP, &backoff) ;
      int listening = !paused && tcpd_conntable_count() < maxconn && !(useproxy && tcpd_proxy_full()) ;
      unsigned int np = 0 ;
      tain deadline ;
      int r ;
      if (paused) deadline = backoff ;
      else tain_add_g(&deadline, &tain_infinite_relative) ;
      x[1].fd = listening ? listener : -1 ;
      x[1].revents = 0 ;
      if (useproxy)
      {
        np = tcpd_proxy_fds(x + 2) ;
        tcpd_proxy_deadline(&deadline) ;
      }
      r = iopause_g(x, 2 + np, &deadline) ;
      if (r < 0) strerr_diefu1sys(111, "iopause") ;
      if (x[0].revents & IOPAUSE_READ)
      {
        handle_signals() ;
        continue ;
      }
      if (useproxy) tcpd_proxy_run(x + 2, np, &new_connection) ;
      if (listening && x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) accept_one() ;
    }
  }
  return 0 ;
}

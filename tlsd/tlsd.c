/* ISC license. */

/* tlsd: TLS in its own process, server side, UCSPI-TLS (after
 * s6-networking's s6-ucspitlsd and s6-tlsd-io), on OpenSSL 3.
 *
 *   tcpd -R ip port tlsd [ -i ] [ -O ] [ -U ] [ options ] -- prog...
 *
 * e.g. s6-envuidgid phsmtpd tcpd -R ... tlsd -O -U -- smtpd
 * (-O: the MX port's opportunistic cipher list, tlsd_ctx.c)
 *
 * Security: tlsd starts as root (tcpd -R) only to fork, to open the
 * certificate and key files, and (-U) to drop to the protocol program's
 * ids. It does not link any TLS library. The child opens the files as
 * root, drops to the TLS uid (phtls; it refuses to go on as root and
 * checks that setuid(0) fails) and, only when TLS is wanted, execs the
 * engine tlsd-io, which holds the private keys, the session ticket key
 * and the plaintext of this one connection. The parent execs the
 * protocol program (dropping to UID/GID/GIDLIST itself with -U, checked
 * the same way; otherwise prog drops, e.g. s6-setuidgid) with the TLS
 * settings removed from its environment: the protocol program never
 * sees a key and never links libssl. Before the exec the parent, still
 * root, waits under a deadline for a word from the child (STARTTLS: the
 * byte saying the files are there; implicit: the handshake report, read
 * bounded and checked record by record); it reads nothing from the
 * client. tlsd writes no file. A compromise of the engine gives the
 * keys (and ticket key) and that connection's plaintext, not the mail
 * store, the queue or any other connection; a compromise of the
 * protocol program gives nothing of TLS. */

#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/exec.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "tlsd.h"

#define USAGE "tlsd [ -i ] [ -O ] [ -U ] [ -v verbosity ] [ -u uid -g gid ] [ -T handshake-timeout ] [ -t idle-timeout ] prog..."
#define dieusage() strerr_dieusage(100, USAGE)

static size_t addfd (char *s, char const *name, int fd)
{
  size_t n = strlen(name) ;
  memcpy(s, name, n) ;
  s[n] = '=' ;
  n += 1 + uint_fmt(s + n + 1, (unsigned int)fd) ;
  s[n++] = 0 ;
  return n ;
}

/* The child writes one byte once it has the files and has dropped, or
 * exits. Waiting for it here (well under a millisecond, at most
 * ENGINE_READY_SECS) is what lets the app know, before it offers
 * STARTTLS, that TLS can be had. */
#define ENGINE_READY_SECS 10

static int engine_ready (int fd)
{
  char buf[2] ;
  tain deadline ;
  ssize_t r ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, ENGINE_READY_SECS) ;
  r = tlsd_readall(fd, buf, sizeof(buf), &deadline) ;
  fd_close(fd) ;
  return r == 1 ;
}

static void ids_from_env (tlsd_childopts *o)
{
  char const *u = getenv("TLS_UID") ;
  char const *g = getenv("TLS_GID") ;
  if (!u && !g) return ;
  if (!u) strerr_dienotset(100, "TLS_UID") ;
  if (!g) strerr_dienotset(100, "TLS_GID") ;
  if (!uid0_scan(u, &o->uid)) strerr_dieinvalid(100, "TLS_UID") ;
  if (!gid0_scan(g, &o->gid)) strerr_dieinvalid(100, "TLS_GID") ;
  o->hasids = 1 ;
}

int main (int argc, char const *const *argv)
{
  tlsd_childopts o = { .implicit = 0, .opportunistic = 0, .hasids = 0, .verbosity = 1, .handshakesecs = 60, .idlesecs = 3600 } ;
  tlsd_appids appids ;
  int dropapp = 0 ;
  int hasuid = 0, hasgid = 0 ;
  int ctl[2], up[2], down[2], rdy[2] = { -1, -1 } ;
  char modif[sizeof(TLSD_UNEXPORT) + sizeof(TLSD_UNEXPORT_IDS) + TLSD_REPORT_MAX + 3 * (12 + UINT_FMT)] ;
  size_t m ;
  pid_t pid ;
  PROG = "tlsd" ;

  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "iOUv:u:g:T:t:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'i' : o.implicit = 1 ; break ;
        case 'O' : o.opportunistic = 1 ; break ;
        case 'U' : dropapp = 1 ; break ;
        case 'v' : if (!uint0_scan(l.arg, &o.verbosity)) dieusage() ; break ;
        case 'u' : if (!uid0_scan(l.arg, &o.uid)) dieusage() ; hasuid = 1 ; break ;
        case 'g' : if (!gid0_scan(l.arg, &o.gid)) dieusage() ; hasgid = 1 ; break ;
        case 'T' : if (!uint0_scan(l.arg, &o.handshakesecs) || !o.handshakesecs || o.handshakesecs > 3600) dieusage() ; break ;
        case 't' : if (!uint0_scan(l.arg, &o.idlesecs) || o.idlesecs > 86400) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (!argc || !*argv[0]) dieusage() ;
  if (hasuid != hasgid) dieusage() ;
  if (hasuid) o.hasids = 1 ;
  else ids_from_env(&o) ;
  log_verbosity = o.verbosity ;
  tlsd_ip = getenv("TCPREMOTEIP") ;
  if (!tlsd_ip) tlsd_ip = "" ;

  /* Refuse now rather than in every engine: root with nowhere to drop. */
  if (!o.hasids && (!getuid() || !geteuid()))
    strerr_dief1x(100, "refusing to run the TLS engine as root: set -u/-g or TLS_UID/TLS_GID") ;
  if (o.hasids && (!o.uid || !o.gid))
    strerr_dief1x(100, "refusing to run the TLS engine as uid or gid 0") ;
  if (dropapp) tlsd_appids_scan(&appids) ;
  if (!fd_sanitize()) strerr_diefu1sys(111, "sanitize standard fds") ;
  if (!config_init())
  {
    if (config_error_line()) strerr_dief2x(100, "syntax error in ", getenv("PH_ENVFILE")) ;
    strerr_diefu2sys(111, "read ", getenv("PH_ENVFILE")) ;
  }

  /* ctl: a socketpair (the 'Y' one way, the report the other); up: app
   * to engine; down: engine to app. All blocking: each side sets what
   * it needs on its own ends. */
  if (ipc_pair_b(ctl) < 0) strerr_diefu1sys(111, "create the control socket") ;
  if (pipe(up) < 0 || pipe(down) < 0) strerr_diefu1sys(111, "create pipes") ;
  if (!o.implicit && pipe(rdy) < 0) strerr_diefu1sys(111, "create a pipe") ;

  pid = fork() ;
  if (pid < 0) strerr_diefu1sys(111, "fork") ;
  if (!pid)
  {
    fd_close(ctl[0]) ;
    fd_close(up[1]) ;
    fd_close(down[0]) ;
    if (rdy[0] >= 0) fd_close(rdy[0]) ;
    o.ready = rdy[1] ;
    o.ctl = ctl[1] ;
    o.fromapp = up[0] ;
    o.toapp = down[1] ;
    tlsd_child(&o) ;
  }
  fd_close(ctl[1]) ;
  fd_close(up[0]) ;
  fd_close(down[1]) ;
  if (rdy[1] >= 0) fd_close(rdy[1]) ;

  m = sizeof(TLSD_UNEXPORT) - 1 ;
  memcpy(modif, TLSD_UNEXPORT, m) ;
  if (dropapp)
  {
    memcpy(modif + m, TLSD_UNEXPORT_IDS, sizeof(TLSD_UNEXPORT_IDS) - 1) ;
    m += sizeof(TLSD_UNEXPORT_IDS) - 1 ;
  }

  if (o.implicit) m += tlsd_implicit(modif + m, pid, ctl[0], down[0], up[1], o.handshakesecs + 5) ;
  else if (engine_ready(rdy[0]))
  {
    /* STARTTLS: the app keeps the socket on fds 0 and 1, and gets the
     * control socket and the pipes by number. */
    m += addfd(modif + m, "SSLCTLFD", ctl[0]) ;
    m += addfd(modif + m, "SSLREADFD", down[0]) ;
    m += addfd(modif + m, "SSLWRITEFD", up[1]) ;
  }
  else
  {
    /* Without a working engine the app runs with no TLS variables, so
     * it offers no STARTTLS. */
    fd_close(ctl[0]) ;
    fd_close(up[1]) ;
    fd_close(down[0]) ;
  }
  if (dropapp) tlsd_appids_apply(&appids) ;
  xmexec_m(argv, modif, m) ;
}

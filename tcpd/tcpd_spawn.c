/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>

#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/selfpipe.h>
#include <skalibs/exec.h>

#include "common/log.h"
#include "tcpd.h"

/* The UCSPI handover (s6-tcpserver's, itself tcpserver's): the socket on
 * fds 0 and 1, in blocking mode (handlers that want non-blocking I/O set
 * it themselves), stderr inherited for the log, and the peer in the
 * environment. */

static size_t addvar (char *s, char const *name, char const *value)
{
  size_t n = strlen(name) ;
  size_t m = strlen(value) ;
  memcpy(s, name, n) ;
  s[n] = '=' ;
  memcpy(s + n + 1, value, m) ;
  s[n + 1 + m] = 0 ;
  return n + m + 2 ;
}

/* PROTO=TCP, six variables whose values are at most IP46_FMT long,
 * UID GID GIDLIST removed, TCPPROXYLOCAL=1 or removed */
#define UCSPI_ENV_MAX (10 + 6 * (14 + IP46_FMT + 1) + 17 + 16)

static void child (int fd, tcpd_peer const *p, uint32_t connnum, accessrule const *rule, tcpd_spawnopts const *o)
{
  char modif[rule->envlen + UCSPI_ENV_MAX] ;
  char fmt[UINT32_FMT] ;
  size_t m = 0 ;

  /* The handler starts with the signal state tcpd was given: the trapped
   * signals unblocked (selfpipe_finish), and SIGPIPE back to its default,
   * stated here rather than left to how sig_altignore happens to work (a
   * SIG_IGN would survive exec and hide EPIPE-as-a-signal from every
   * handler). */
  selfpipe_finish() ;
  if (!sig_restore(SIGPIPE)) strerr_diefu1sys(111, "restore the default SIGPIPE action") ;
  if (fd_move(0, fd) < 0 || fd_copy(1, 0) < 0) strerr_diefu1sys(111, "move the socket to fds 0 and 1") ;
  if (ndelay_off(0) < 0) strerr_diefu1sys(111, "make the socket blocking") ;

  /* The rule's variables go first so that the UCSPI ones, which follow,
   * always tell the truth about the peer. */
  if (rule->envlen)
  {
    memcpy(modif, rule->env, rule->envlen) ;
    m = rule->envlen ;
  }
  if (o->unexport_uidgid)
  {
    memcpy(modif + m, "UID\0GID\0GIDLIST", 16) ;
    m += 16 ;
  }
  m += addvar(modif + m, "PROTO", "TCP") ;
  m += addvar(modif + m, "TCPREMOTEIP", p->remotefmt) ;
  fmt[uint16_fmt(fmt, p->remoteport)] = 0 ;
  m += addvar(modif + m, "TCPREMOTEPORT", fmt) ;
  m += addvar(modif + m, "TCPLOCALIP", p->localfmt) ;
  fmt[uint16_fmt(fmt, p->localport)] = 0 ;
  m += addvar(modif + m, "TCPLOCALPORT", fmt) ;
  fmt[uint32_fmt(fmt, connnum)] = 0 ;
  m += addvar(modif + m, "TCPCONNNUM", fmt) ;
  /* behind a proxy (-p): who relayed the client; never left over from
   * tcpd's own environment */
  if (p->proxyfmt[0]) m += addvar(modif + m, "TCPPROXYIP", p->proxyfmt) ;
  else
  {
    memcpy(modif + m, "TCPPROXYIP", 11) ;
    m += 11 ;
  }
  if (p->proxylocal) m += addvar(modif + m, "TCPPROXYLOCAL", "1") ;
  else
  {
    memcpy(modif + m, "TCPPROXYLOCAL", 14) ;
    m += 14 ;
  }

  if (rule->execlen)
  {
    /* s6-tcpserver-access does the same with a rule's exec file */
    char script[rule->execlen + 1] ;
    char const *eargv[4] = { "execlineb", "-Pc", script, 0 } ;
    memcpy(script, rule->exec, rule->execlen) ;
    script[rule->execlen] = 0 ;
    xmexec_m(eargv, modif, m) ;
  }
  xmexec_m(o->argv, modif, m) ;
}

pid_t tcpd_spawn (int fd, tcpd_peer const *p, uint32_t connnum, accessrule const *rule, tcpd_spawnopts const *o)
{
  pid_t pid = fork() ;
  if (pid < 0)
  {
    logline l ;
    int e = errno ;
    log_begin(&l, "fork_error") ;
    log_kv(&l, "ip", p->remotefmt) ;
    log_kv(&l, "error", strerror(e)) ;
    log_commit(&l) ;
    return 0 ;
  }
  if (!pid) child(fd, p, connnum, rule, o) ;
  return pid ;
}

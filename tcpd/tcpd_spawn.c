/* ISC license. */

#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/bytestr.h>
#include <skalibs/env.h>

#include "common/log.h"
#include "tcpd.h"

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

/* The handler's environment: tcpd's, then the rule's variables, then the
 * UCSPI ones, so that these always tell the truth about the peer. Returns
 * the length of what it wrote into modif. */
static size_t make_modif (char *modif, tcpd_peer const *p, uint32_t connnum, accessrule const *rule, tcpd_spawnopts const *o)
{
  char fmt[UINT32_FMT] ;
  size_t m = 0 ;
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
  return m ;
}

static void log_spawn_error (tcpd_peer const *p, int e)
{
  logline l ;
  log_begin(&l, "spawn_error") ;
  log_kv(&l, "ip", p->remotefmt) ;
  log_kv(&l, "error", strerror(e)) ;
  log_commit(&l) ;
}

/* posix_spawn rather than fork + exec: glibc makes it a vfork-style
 * clone, so tcpd's address space (a dynamic executable's, with its maps
 * mmapped) is neither copied into the child nor left copy-on-write for
 * the parent to fault back in, once per connection. Everything the child
 * did between fork and exec is said here instead: */
pid_t tcpd_spawn (int fd, tcpd_peer const *p, uint32_t connnum, accessrule const *rule, tcpd_spawnopts const *o)
{
  extern char **environ ;
  char modif[rule->envlen + UCSPI_ENV_MAX] ;
  size_t m = make_modif(modif, p, connnum, rule, o) ;
  size_t envlen = env_len((char const *const *)environ) ;
  size_t nmodif = byte_count(modif, m, '\0') ;
  char const *envp[envlen + nmodif + 1] ;
  char script[rule->execlen + 1] ;
  char const *eargv[4] = { "execlineb", "-Pc", script, 0 } ;
  char const *const *argv = o->argv ;
  posix_spawn_file_actions_t actions ;
  posix_spawnattr_t attr ;
  sigset_t mask, deflt ;
  pid_t pid ;
  int e ;

  if (!env_merge(envp, envlen + nmodif + 1, (char const *const *)environ, envlen, modif, m))
  {
    log_spawn_error(p, errno) ;
    return 0 ;
  }
  if (rule->execlen)
  {
    /* s6-tcpserver-access does the same with a rule's exec file */
    memcpy(script, rule->exec, rule->execlen) ;
    script[rule->execlen] = 0 ;
    argv = eargv ;
  }

  /* The UCSPI handover (s6-tcpserver's, itself tcpserver's): the socket
   * on fds 0 and 1, in blocking mode (handlers that want non-blocking I/O
   * set it themselves; the mode is the socket's, shared with our copy,
   * which is closed once the handler runs), stderr inherited for the log.
   * The socket itself is close-on-exec. */
  if (ndelay_off(fd) < 0) { log_spawn_error(p, errno) ; return 0 ; }

  /* The signal state tcpd was given: the signals the selfpipe traps
   * unblocked and at their defaults, and SIGPIPE at its default, stated
   * here rather than left to how sig_altignore happens to work (a SIG_IGN
   * would survive exec and hide EPIPE-as-a-signal from every handler). */
  sigprocmask(SIG_BLOCK, 0, &mask) ;
  sigemptyset(&deflt) ;
  for (unsigned int i = 0 ; i < TCPD_NTRAPPED ; i++)
  {
    sigdelset(&mask, tcpd_trapped_signals[i]) ;
    sigaddset(&deflt, tcpd_trapped_signals[i]) ;
  }
  sigaddset(&deflt, SIGPIPE) ;

  e = posix_spawn_file_actions_init(&actions) ;
  if (e) { log_spawn_error(p, e) ; return 0 ; }
  e = posix_spawnattr_init(&attr) ;
  if (e) { posix_spawn_file_actions_destroy(&actions) ; log_spawn_error(p, e) ; return 0 ; }
  if (!(e = posix_spawn_file_actions_adddup2(&actions, fd, 0))
   && !(e = posix_spawn_file_actions_adddup2(&actions, fd, 1))
   && !(e = posix_spawnattr_setsigmask(&attr, &mask))
   && !(e = posix_spawnattr_setsigdefault(&attr, &deflt))
   && !(e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
    e = posix_spawnp(&pid, argv[0], &actions, &attr, (char *const *)argv, (char *const *)envp) ;
  posix_spawnattr_destroy(&attr) ;
  posix_spawn_file_actions_destroy(&actions) ;
  if (e)
  {
    log_spawn_error(p, e) ;
    return 0 ;
  }
  return pid ;
}

/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* The caller's half of tlsc (common/ucspitls.h, tlsd/README.md). tlsc
 * gets, by fixed numbers: 0 the app -> tlsc pipe, 1 the tlsc -> app
 * pipe, 3 the control socket, 6 the TCP socket; 2 stays the caller's
 * log. Every other fd is closed in the child: the caller's queue file
 * and queued connection are none of tlsc's business. */

#define CHILD_FD_CTL 3
#define CHILD_FD_NET 6
#define CHILD_FD_FIRST_FREE 7
#define DUP_BASE 10

extern char **environ ;

/* In the child, between fork and exec: only async-signal-safe calls
 * (the caller may have threads, e.g. libunbound's resolver). */
static void child (char const *path, char const *const *argv, int const *src, long maxfd)
{
  static int const target[4] = { 0, 1, CHILD_FD_CTL, CHILD_FD_NET } ;
  int tmp[4] ;
  unsigned int i = 0 ;
  /* First out of the way (>= DUP_BASE), then into place: a source may
   * sit on another one's target. */
  for (; i < 4 ; i++)
  {
    tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, DUP_BASE) ;
    if (tmp[i] < 0) _exit(111) ;
  }
  for (i = 0 ; i < 4 ; i++)
    if (dup2(tmp[i], target[i]) < 0) _exit(111) ;
  close(4) ;
  close(5) ;
  if (close_range(CHILD_FD_FIRST_FREE, ~0U, 0) < 0)
    for (long fd = CHILD_FD_FIRST_FREE ; fd < maxfd ; fd++) close((int)fd) ;
  sig_blocknone() ;
  execve(path, (char *const *)argv, environ) ;
  _exit(errno == ENOENT ? 127 : 126) ;
}

/* tlsc ended without a report: its exit code says why (tlsd/README.md,
 * "tlsc", Exit codes). */
static int why (int code)
{
  switch (code)
  {
    case 1 : return ECONNREFUSED ;
    case 99 : return ETIMEDOUT ;
    case 100 : return EINVAL ;
    case 111 : return EIO ;
    case 126 :
    case 127 : return ENOENT ;
    default : return ECONNREFUSED ;  /* killed, or an unknown code: it died */
  }
}

static void reset (ucspitls_client *c)
{
  c->rd = c->wr = -1 ;
  c->pid = 0 ;
  c->verified = 0 ;
  c->verify_error[0] = c->peer_cn[0] = 0 ;
}

/* tlsc's own handshake deadline: what is left of ours, in whole
 * seconds, at least 1 and at most 3600 (its limits). */
static unsigned int seconds_left (tain const *deadline)
{
  tain left ;
  int ms ;
  tain_now_g() ;
  if (!tain_less(&STAMP, deadline)) return 1 ;
  tain_sub(&left, deadline, &STAMP) ;
  ms = tain_to_millisecs(&left) ;
  if (ms < 0 || ms > 3600000) return 3600 ;
  return ms < 1000 ? 1 : (unsigned int)ms / 1000 ;
}

int ucspitls_client_start (int sockfd, char const *servername, unsigned int flags, ucspitls_client *c, ucspitls_info *info, tain const *deadline)
{
  char path[4096] ;
  char secs[UINT_FMT] ;
  char const *argv[10] ;
  char report[UCSPITLS_REPORT_MAX] ;
  unsigned int n = 0 ;
  int ctl[2], up[2], down[2] ;
  long maxfd = sysconf(_SC_OPEN_MAX) ;
  ssize_t len ;
  pid_t pid ;
  int e ;

  reset(c) ;
  memset(info, 0, sizeof(*info)) ;
  if (!ucspitls_copy(info->sni, UCSPITLS_SNI_MAX, servername)) { fd_close(sockfd) ; return (errno = EINVAL, 0) ; }
  if (!ucspitls_client_path(path, sizeof(path))) { e = errno ; fd_close(sockfd) ; return (errno = e, 0) ; }
  if (maxfd < 0 || maxfd > 65536) maxfd = 65536 ;
  secs[uint_fmt(secs, seconds_left(deadline))] = 0 ;
  argv[n++] = "tlsc" ;
  argv[n++] = "-T" ;
  argv[n++] = secs ;
  if (flags & UCSPITLS_CLIENT_VERIFY) argv[n++] = "-V" ;
  if (flags & UCSPITLS_CLIENT_QUIET) { argv[n++] = "-v" ; argv[n++] = "0" ; }
  argv[n++] = "-k" ;
  argv[n++] = servername ;
  argv[n++] = 0 ;

  if (ipc_pair_coe(ctl) < 0) { e = errno ; fd_close(sockfd) ; return (errno = e, 0) ; }
  if (pipecoe(up) < 0) { e = errno ; goto err1 ; }
  if (pipecoe(down) < 0) { e = errno ; goto err2 ; }
  pid = fork() ;
  if (pid < 0) { e = errno ; goto err3 ; }
  if (!pid)
  {
    int const src[4] = { up[0], down[1], ctl[1], sockfd } ;
    child(path, argv, src, maxfd) ;
  }
  fd_close(up[0]) ;
  fd_close(down[1]) ;
  fd_close(ctl[1]) ;
  fd_close(sockfd) ;

  len = ucspitls_readall(ctl[0], report, sizeof(report), deadline) ;
  fd_close(ctl[0]) ;
  if (len <= 0)
  {
    /* no report: tlsc failed (and is exiting) or took too long */
    if (len < 0)
    {
      e = errno ;
      kill(pid, SIGKILL) ;
      ucspitls_client_reap(pid, deadline) ;
    }
    else
    {
      tain grace ;
      tain_now_g() ;
      tain_addsec_g(&grace, 5) ;
      e = why(ucspitls_client_reap(pid, tain_less(deadline, &grace) ? &grace : deadline)) ;
    }
    goto errpipes ;
  }
  if (!ucspitls_client_parse(report, (size_t)len, c, info))
  {
    char keep[UCSPITLS_VERIFY_ERROR_MAX + 1] ;
    e = errno ;
    memcpy(keep, c->verify_error, sizeof(keep)) ;
    kill(pid, SIGKILL) ;
    ucspitls_client_reap(pid, deadline) ;
    fd_close(up[1]) ;
    fd_close(down[0]) ;
    reset(c) ;
    if (e == EPERM) memcpy(c->verify_error, keep, sizeof(keep)) ;
    info->protocol[0] = info->cipher[0] = 0 ;
    return (errno = e, 0) ;
  }
  if (ndelay_on(down[0]) < 0 || ndelay_on(up[1]) < 0)
  {
    e = errno ;
    kill(pid, SIGKILL) ;
    ucspitls_client_reap(pid, deadline) ;
    goto errpipes ;
  }
  c->rd = down[0] ;
  c->wr = up[1] ;
  c->pid = pid ;
  return 1 ;

 errpipes:
  fd_close(up[1]) ;
  fd_close(down[0]) ;
  reset(c) ;
  info->protocol[0] = info->cipher[0] = 0 ;
  return (errno = e, 0) ;
 err3:
  fd_close(down[0]) ;
  fd_close(down[1]) ;
 err2:
  fd_close(up[0]) ;
  fd_close(up[1]) ;
 err1:
  fd_close(ctl[0]) ;
  fd_close(ctl[1]) ;
  fd_close(sockfd) ;
  return (errno = e, 0) ;
}

/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/ucspitls-internal.h"

/* tlsc ends by itself once its pipes are closed (it sends close_notify,
 * bounded by its own 10 s) or right after a failed handshake. The
 * caller cannot wait that long on a slow peer: it looks every few
 * milliseconds until its deadline, then kills. */

#define REAP_STEP_MS 5

static int code (int wstat)
{
  return WIFSIGNALED(wstat) ? 128 + WTERMSIG(wstat) : WEXITSTATUS(wstat) ;
}

int ucspitls_client_reap (pid_t pid, tain const *deadline)
{
  int wstat ;
  for (;;)
  {
    tain step ;
    pid_t r = waitpid(pid, &wstat, WNOHANG) ;
    if (r == pid) return code(wstat) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      return -1 ;
    }
    tain_now_g() ;
    if (!tain_less(&STAMP, deadline)) break ;
    tain_from_millisecs(&step, REAP_STEP_MS) ;
    tain_add_g(&step, &step) ;
    if (tain_less(deadline, &step)) step = *deadline ;
    deepsleepuntil_g(&step) ;
  }
  kill(pid, SIGKILL) ;
  if (waitpid_nointr(pid, &wstat, 0) != pid) return -1 ;
  return code(wstat) ;
}

/* ISC license. */

/* filterrun: runs one filter program for queued (docs/filters.md, "How
 * a program is run"), one process per connection on filter.sock.
 *
 * Security. Runs as phfilter, under s6-ipcserver (package/service/filter),
 * which owns nothing of the queue: the programs it starts parse untrusted
 * mail (MIME, DKIM, DNS answers), and a bug in one must not give the
 * queue (phqueue's). It admits only root and the uids of PH_FILTER_UIDS
 * (phqueue), by IPCREMOTEEUID (SO_PEERCRED), before it reads a byte. It
 * trusts that peer for the message's variables and the two pipe ends it
 * passes, but not for what to run: the request names a chain and a stage,
 * and the command comes from this service's own configuration
 * (PH_FILTERS_INBOUND / PH_FILTERS_OUTBOUND, parsed by the same code as
 * queued's), checked against the command the request names; only
 * the listed variables are accepted, each bounded, the whole request
 * bounded in size and time. It writes nothing itself: the program writes
 * what phfilter may ($PH_STATE/dmarc for policyd-filter, the test's own
 * files), its answer going back to queued through the pipe. A compromise
 * gives the phfilter uid: the ability to read the messages queued hands
 * it and to answer wrong verdicts for them, to write the DMARC report
 * lines, and to ask dkimsign for signatures (as queued's outbound chain
 * could); not to read or change the queue, the mailboxes or the keys. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/config.h"
#include "common/filterchain.h"
#include "common/filterreq.h"
#include "common/log.h"
#include "common/uidlist.h"

extern char **environ ;

#define REQUEST_SECONDS 10   /* queued sends at once: this is a backstop */
#define STATUS_SECONDS 10
#define BACKSTOP_SECONDS 60  /* beyond PH_FILTER_TIMEOUT: queued closes first */

static int peer_allowed (void)
{
  char const *peer = getenv("IPCREMOTEEUID") ;
  uint64_t uid ;
  if (peer && *peer && uint640_scan(peer, &uid) && (!uid || uidlist_match(config_get("PH_FILTER_UIDS"), uid) == 1)) return 1 ;
  log_event2("refused", "euid", peer ? peer : "unknown", "reason", "peer uid not allowed") ;
  return 0 ;
}

/* What s6-ipcserver and s6-envuidgid put in our environment is about
 * this connection, not for the program. */
static int ours (char const *e)
{
  return filterreq_is_var(e) || !strncmp(e, "IPC", 3) || !strncmp(e, "PROTO=", 6)
   || !strncmp(e, "UID=", 4) || !strncmp(e, "GID=", 4) || !strncmp(e, "GIDLIST=", 8) ;
}

static char const **make_env (filterreq const *r)
{
  size_t n = 0 ;
  char const **v ;
  for (char **e = environ ; *e ; e++) n++ ;
  v = malloc((n + FILTERREQ_VARS + 1) * sizeof(char const *)) ;
  if (!v) return 0 ;
  n = 0 ;
  for (char **e = environ ; *e ; e++) if (!ours(*e)) v[n++] = *e ;
  for (unsigned int i = 0 ; i < r->nvars ; i++) v[n++] = r->vars[i] ;
  v[n] = 0 ;
  return v ;
}

static void refuse (unixmessage const *m, char const *why)
{
  for (unsigned int i = 0 ; i < m->nfds ; i++) fd_close(m->fds[i]) ;
  log_event1("refused", "reason", why) ;
  _exit(100) ;
}

static void send_status (int wstat)
{
  unixmessage_sender out ;
  unixmessage m = { .s = 0, .len = FILTERREQ_STATUS_LEN, .fds = 0, .nfds = 0 } ;
  char pack[FILTERREQ_STATUS_LEN] ;
  tain deadline ;
  uint32_pack_big(pack, (uint32_t)wstat) ;
  m.s = pack ;
  unixmessage_sender_init(&out, 1) ;
  if (!unixmessage_put(&out, &m)) strerr_diefu1sys(111, "queue the status") ;
  tain_now_g() ;
  tain_addsec_g(&deadline, STATUS_SECONDS) ;
  if (!unixmessage_sender_timed_flush_g(&out, &deadline)) strerr_diefu1sys(111, "send the status") ;
  unixmessage_sender_free(&out) ;
}

int main (int argc, char const *const *argv)
{
  char mainbuf[UNIXMESSAGE_BUFSIZE] ;
  char auxbuf[UNIXMESSAGE_AUXBUFSIZE] ;
  unixmessage_receiver in ;
  unixmessage m ;
  filterreq r ;
  filterchain chains[2] ;
  char const *why ;
  char const *const *cmd ;
  char const **envp ;
  uint64_t timeout ;
  tain deadline ;
  int spfd ;
  pid_t pid ;
  PROG = "filterrun" ;
  (void)argc ; (void)argv ;
  config_load() ;
  if (!peer_allowed()) return 100 ;
  if (!filterchain_parse(config_get("PH_FILTERS_INBOUND"), chains, &why)
   || !filterchain_parse(config_get("PH_FILTERS_OUTBOUND"), chains + 1, &why))
    strerr_dief2x(100, "invalid PH_FILTERS_INBOUND or PH_FILTERS_OUTBOUND: ", why) ;
  if (!config_get_uint("PH_FILTER_TIMEOUT", 120, &timeout) || !timeout || timeout > 86400) timeout = 120 ;

  if (unixmessage_receiver_init(&in, 0, mainbuf, sizeof(mainbuf), auxbuf, sizeof(auxbuf)) == 0)
    strerr_diefu1sys(111, "init the receiver") ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, REQUEST_SECONDS) ;
  {
    int got = unixmessage_timed_receive_g(&in, &m, &deadline) ;
    if (got < 0) strerr_diefu1sys(errno == ETIMEDOUT ? 99 : 111, "read the request") ;
    if (!got) strerr_dief1x(111, "connection closed before a request") ;
  }
  /* skalibs reads a whole message before we see its length: only an
   * admitted peer (root, queued) gets this far, within REQUEST_SECONDS. */
  if (m.len > FILTERREQ_MAX) refuse(&m, "request too long") ;
  if (m.nfds != 2) refuse(&m, "a request carries exactly 2 fds") ;
  if (!filterreq_parse(m.s, m.len, &r, &why)) refuse(&m, why) ;
  if (r.stage >= chains[r.outbound].n) refuse(&m, "no such stage in the chain") ;
  cmd = chains[r.outbound].argv[r.stage] ;
  /* queued and this service read the same settings; a mismatch means one
   * of them has not been restarted since a change: run nothing. */
  {
    char mine[FILTERCHAIN_COMMAND_MAX + 1] ;
    filterchain_command(chains + r.outbound, r.stage, mine) ;
    if (strcmp(mine, r.command)) refuse(&m, "the command is not the one configured at that stage") ;
  }
  envp = make_env(&r) ;
  if (!envp) strerr_diefu1sys(111, "allocate") ;

  spfd = selfpipe_init() ;
  if (spfd < 0) strerr_diefu1sys(111, "init selfpipe") ;
  if (!selfpipe_trap(SIGCHLD)) strerr_diefu1sys(111, "trap SIGCHLD") ;
  pid = fork() ;
  if (pid < 0) strerr_diefu1sys(111, "fork") ;
  if (!pid)
  {
    /* The program: its own process group (queued's timeout kills what it
     * started too), the pipes on 0 and 1, stderr ours (this service's
     * log), in /, no signal blocked. */
    setpgid(0, 0) ;
    selfpipe_finish() ;
    if (fd_move(0, m.fds[0]) < 0 || fd_move(1, m.fds[1]) < 0) _exit(111) ;
    sig_blocknone() ;
    if (chdir("/") < 0) _exit(111) ;
    execve(cmd[0], (char *const *)cmd, (char *const *)envp) ;
    strerr_warnwu2sys("exec filter ", cmd[0]) ;
    _exit(errno == ENOENT ? 127 : 126) ;
  }
  setpgid(pid, pid) ;   /* also here: no race with the kill below */
  fd_close(m.fds[0]) ;
  fd_close(m.fds[1]) ;
  free(envp) ;

  tain_now_g() ;
  tain_addsec_g(&deadline, (int)timeout + BACKSTOP_SECONDS) ;
  for (;;)
  {
    iopause_fd x[2] = { { .fd = spfd, .events = IOPAUSE_READ }, { .fd = 0, .events = IOPAUSE_READ } } ;
    int e = iopause_g(x, 2, &deadline) ;
    if (e < 0) strerr_diefu1sys(111, "iopause") ;
    if (!e)
    {
      kill(-pid, SIGKILL) ;
      kill(pid, SIGKILL) ;
      strerr_dief1x(99, "timed out: the program's process group was killed") ;
    }
    if (x[0].revents & IOPAUSE_READ)
    {
      int sig ;
      while ((sig = selfpipe_read()) > 0)
        if (sig == SIGCHLD)
        {
          int wstat ;
          pid_t w = wait_pid_nohang(pid, &wstat) ;
          if (w == pid)
          {
            send_status(wstat) ;
            return 0 ;
          }
        }
      if (sig < 0) strerr_diefu1sys(111, "read selfpipe") ;
    }
    if (x[1].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))
    {
      /* queued sends nothing after the request: EOF (a timeout, a stop)
       * or anything else ends the program and what it started. */
      kill(-pid, SIGKILL) ;
      kill(pid, SIGKILL) ;
      log_event1("killed", "reason", "queued closed the connection") ;
      return 0 ;
    }
  }
}

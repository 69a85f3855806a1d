/* ISC license. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/iopause.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "banwatch.h"

/* The nftables helper: banwatch's child, forked as root before banwatch
 * drops to phban. It becomes phban too but keeps one capability,
 * CAP_NET_ADMIN (permitted, effective, inheritable and ambient, so the
 * nft it runs has it; no_new_privs, so nothing it runs gains more). It
 * reads operations on fd 0 ("R", "A addr/bits seconds", "D addr/bits":
 * bw_nft.c), checks each strictly (an address, a prefix length, a
 * decimal: bw_nftscript.c), turns a batch into nft scripts of its own
 * words and runs `nft -f -` on them, bounded by NFT_TIMEOUT_SECS; it
 * answers "1" or "0" per batch on fd 1 and logs failures (fd 2).
 * Whoever controls banwatch can only add or remove elements of the two
 * sets, which bans.cdb already lets them do. */

#define NFT_TIMEOUT_SECS 30
#define BATCH_MAX (256 * 1024)   /* script bytes per nft run */
#define NFT_OUTPUT_MAX 512       /* nft's error text kept for the log */

static bw_nftscript sc = BW_NFTSCRIPT_ZERO ;

/* Runs nft -f - on the script; its output (the first NFT_OUTPUT_MAX
 * bytes) goes to err. 1 if it exited 0. */
static int run_nft (stralloc const *script, char *err, size_t *errlen, char const **why)
{
  int in[2], o[2] ;
  pid_t pid ;
  size_t written = 0 ;
  int wstat ;
  int timedout = 0 ;
  tain deadline ;
  *errlen = 0 ;
  if (pipe2(in, O_CLOEXEC) < 0) return (*why = "pipe", 0) ;
  if (pipe2(o, O_CLOEXEC) < 0) { fd_close(in[0]) ; fd_close(in[1]) ; return (*why = "pipe", 0) ; }
  pid = fork() ;
  if (pid < 0)
  {
    fd_close(in[0]) ; fd_close(in[1]) ; fd_close(o[0]) ; fd_close(o[1]) ;
    return (*why = "fork", 0) ;
  }
  if (!pid)
  {
    char const *argv[4] = { "nft", "-f", "-", 0 } ;
    if (dup2(in[0], 0) < 0 || dup2(o[1], 1) < 0 || dup2(o[1], 2) < 0) _exit(111) ;
    execv("/usr/sbin/nft", (char *const *)argv) ;
    execvp("nft", (char *const *)argv) ;
    _exit(127) ;
  }
  fd_close(in[0]) ;
  fd_close(o[1]) ;
  ndelay_on(in[1]) ;
  ndelay_on(o[0]) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, NFT_TIMEOUT_SECS) ;
  for (;;)
  {
    iopause_fd x[2] = { { .fd = o[0], .events = IOPAUSE_READ }, { .fd = in[1], .events = IOPAUSE_WRITE } } ;
    unsigned int nx = in[1] >= 0 ? 2 : 1 ;
    int r = iopause_g(x, nx, &deadline) ;
    if (r < 0) { if (errno == EINTR) continue ; timedout = 1 ; break ; }
    if (!r) { timedout = 1 ; break ; }
    if (nx == 2 && x[1].revents & (IOPAUSE_WRITE | IOPAUSE_EXCEPT))
    {
      ssize_t w = write(in[1], script->s + written, script->len - written) ;
      if (w < 0 && errno != EAGAIN && errno != EINTR) { fd_close(in[1]) ; in[1] = -1 ; }
      else if (w > 0 && (written += (size_t)w) == script->len) { fd_close(in[1]) ; in[1] = -1 ; }
    }
    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT))
    {
      char buf[1024] ;
      ssize_t r2 = read(o[0], buf, sizeof(buf)) ;
      if (r2 < 0 && errno != EAGAIN && errno != EINTR) break ;
      if (!r2) break ;  /* nft closed its output: it is exiting */
      if (r2 > 0)
      {
        size_t k = (size_t)r2 ;
        if (k > NFT_OUTPUT_MAX - *errlen) k = NFT_OUTPUT_MAX - *errlen ;
        memcpy(err + *errlen, buf, k) ;
        *errlen += k ;
      }
    }
  }
  if (in[1] >= 0) fd_close(in[1]) ;
  fd_close(o[0]) ;
  if (timedout) kill(pid, SIGKILL) ;
  while (waitpid(pid, &wstat, 0) < 0)
    if (errno != EINTR) return (*why = "waitpid", 0) ;
  if (timedout) return (*why = "timeout", 0) ;
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 127) return (*why = "nft not found", 0) ;
  if (!WIFEXITED(wstat) || WEXITSTATUS(wstat)) return (*why = "nft failed", 0) ;
  return 1 ;
}

/* The first line of nft's complaint, for the log */
static void log_failure (char const *event, char const *why, char const *err, size_t errlen)
{
  logline l ;
  size_t n = 0 ;
  while (n < errlen && err[n] != '\n') n++ ;
  log_begin(&l, event) ;
  log_kv(&l, "reason", why) ;
  if (n) log_kvn(&l, "nft", err, n) ;
  if (!strcmp(event, "nft_disabled")) log_kv(&l, "hint", "bans go on in bans.cdb only; for the nftables set give the container NET_ADMIN (docker run --cap-add=NET_ADMIN) and install nft") ;
  log_commit(&l) ;
}

static void report (int ok)
{
  if (fd_write(1, ok ? "1" : "0", 1) < 1) _exit(0) ;  /* banwatch is gone */
}

/* Capabilities without libcap: the raw capget/capset (capabilities(7)) */
static int has_net_admin (void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 } ;
  struct __user_cap_data_struct d[2] ;
  if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 1) return 0 ;
  if (syscall(SYS_capget, &h, d) < 0) return 0 ;
  return !!(d[0].effective & (1U << CAP_NET_ADMIN)) ;
}

static int keep_net_admin_only (uid_t uid, gid_t gid)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 } ;
  struct __user_cap_data_struct d[2] ;
  if (uid && gid)
  {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return 0 ;
    if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) return 0 ;
  }
  memset(d, 0, sizeof(d)) ;
  d[0].effective = d[0].permitted = d[0].inheritable = 1U << CAP_NET_ADMIN ;
  if (syscall(SYS_capset, &h, d) < 0) return 0 ;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0) return 0 ;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 0 ;
  if (uid && (getuid() != uid || geteuid() != uid || !setuid(0))) return 0 ;
  return 1 ;
}

/* Waits for operations, then takes all that are there (up to a batch):
 * a burst of bans becomes one nft run */
static void read_more (stralloc *in)
{
  iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
  int waited = 0 ;
  while (in->len < BATCH_MAX)
  {
    char buf[8192] ;
    ssize_t r = read(0, buf, sizeof(buf)) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      if (errno != EAGAIN && errno != EWOULDBLOCK) _exit(111) ;
      if (waited) return ;
      if (iopause_g(&x, 1, 0) < 0 && errno != EINTR) _exit(111) ;
      waited = 1 ;
      continue ;
    }
    if (!r) _exit(0) ;  /* banwatch closed the pipe */
    if (!stralloc_catb(in, buf, (size_t)r)) _exit(111) ;
    waited = 1 ;
  }
}

void bw_nfthelper_main (bw_nftspec const *sp, uid_t uid, gid_t gid)
{
  stralloc in = STRALLOC_ZERO ;
  int first = 1 ;
  PROG = "banwatch-nft" ;
  sc.spec = *sp ;
  /* nft may die before it reads its script: a write error, not a death */
  if (!sig_altignore(SIGPIPE) || ndelay_on(0) < 0) _exit(111) ;
  tain_now_set_stopwatch_g() ;
  if (!has_net_admin())
  {
    log_failure("nft_disabled", "no CAP_NET_ADMIN", "", 0) ;
    _exit(0) ;
  }
  if (!keep_net_admin_only(uid, gid))
  {
    log_failure("nft_disabled", "unable to drop to phban with CAP_NET_ADMIN", "", 0) ;
    _exit(0) ;
  }
  for (;;)
  {
    size_t start = 0 ;
    if (!memchr(in.s ? in.s : "", '\n', in.len)) read_more(&in) ;
    sc.dels.len = sc.adds.len = 0 ;
    /* every complete line now here makes one batch, up to BATCH_MAX */
    while (start < in.len && sc.dels.len + sc.adds.len < BATCH_MAX)
    {
      char *nl = memchr(in.s + start, '\n', in.len - start) ;
      if (!nl) break ;
      int r = bw_nftscript_line(&sc, in.s + start, (size_t)(nl - in.s) - start) ;
      if (r < 0) _exit(111) ;
      if (!r)
      {
        log_failure("nft_protocol_error", "bad operation from banwatch", "", 0) ;
        _exit(111) ;
      }
      start = (size_t)(nl - in.s) + 1 ;
    }
    memmove(in.s, in.s + start, in.len - start) ;
    in.len -= start ;
    if (in.len > BW_NFT_LINE_MAX && !memchr(in.s, '\n', in.len))
    {
      log_failure("nft_protocol_error", "line too long", "", 0) ;
      _exit(111) ;
    }
    if (!sc.dels.len && !sc.adds.len) continue ;
    {
      char err[NFT_OUTPUT_MAX] ;
      size_t errlen = 0 ;
      char const *why = "" ;
      /* two transactions: nft checks a new interval against the set as
         it was before the transaction, so a /24 replacing a /32 inside
         it ("D" then "A" in one script) would be refused as overlapping */
      int ok = (!sc.dels.len || run_nft(&sc.dels, err, &errlen, &why))
            && (!sc.adds.len || run_nft(&sc.adds, err, &errlen, &why)) ;
      if (!ok && first)
      {
        /* the set up itself fails: no nft, no nf_tables, a set of the
           wrong type... say it once and leave bans.cdb alone to do it */
        log_failure("nft_disabled", why, err, errlen) ;
        _exit(0) ;
      }
      if (!ok) log_failure("nft_error", why, err, errlen) ;
      else if (first) log_event3("nft_ready", "family", sp->family, "table", sp->table, "sets", sp->set4[0] && sp->set6[0] ? "ipv4+ipv6" : sp->set4[0] ? "ipv4" : "ipv6") ;
      first = 0 ;
      report(ok) ;
    }
  }
}

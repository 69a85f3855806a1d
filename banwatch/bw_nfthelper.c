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
 * decimal), turns a batch into an nft script of its own words and runs
 * `nft -f -` on it, one transaction, bounded by NFT_TIMEOUT_SECS; it
 * answers "1" or "0" per batch on fd 1 and logs failures (fd 2).
 * Whoever controls banwatch can only add or remove elements of the two
 * sets, which bans.cdb already lets them do. */

#define NFT_TIMEOUT_SECS 30
#define BATCH_MAX (256 * 1024)   /* script bytes per nft run */
#define NFT_OUTPUT_MAX 512       /* nft's error text kept for the log */
#define TIMEOUT_MAX (3650ULL * 86400ULL)

static bw_nftspec spec ;
/* A batch is two nft runs: the set up and the deletions, then the
 * additions. nft checks a new interval against the set as it was before
 * the transaction, so a /24 replacing a /32 inside it ("D" then "A" in
 * one script) would be refused as overlapping. */
static stralloc script = STRALLOC_ZERO ;  /* R and D */
static stralloc adds = STRALLOC_ZERO ;    /* A */
static stralloc *cur = &script ;

static void cat (char const *s)
{
  if (!stralloc_cats(cur, s)) _exit(111) ;
}

static void cat_set (char const *verb, char const *set)
{
  cat(verb) ; cat(" ") ;
  cat(spec.family) ; cat(" ") ;
  cat(spec.table) ; cat(" ") ;
  cat(set) ;
}

/* Creates what is missing (every "add" is a no-op when the object
 * exists: the admin's own table and sets are used as they are, if their
 * type matches), owns the chain "banwatch" in that table (flushed and
 * refilled, so restarts do not pile up rules), and empties the sets for
 * the re-sync that follows. */
static void script_reset (void)
{
  cat("add table ") ; cat(spec.family) ; cat(" ") ; cat(spec.table) ; cat("\n") ;
  if (spec.set4[0]) { cat_set("add set", spec.set4) ; cat(" { type ipv4_addr ; flags interval, timeout ; }\n") ; }
  if (spec.set6[0]) { cat_set("add set", spec.set6) ; cat(" { type ipv6_addr ; flags interval, timeout ; }\n") ; }
  cat_set("add chain", "banwatch") ; cat(" { type filter hook input priority filter - 10 ; policy accept ; }\n") ;
  cat_set("flush chain", "banwatch") ; cat("\n") ;
  if (spec.set4[0]) { cat_set("add rule", "banwatch") ; cat(" ip saddr @") ; cat(spec.set4) ; cat(" drop\n") ; }
  if (spec.set6[0]) { cat_set("add rule", "banwatch") ; cat(" ip6 saddr @") ; cat(spec.set6) ; cat(" drop\n") ; }
  if (spec.set4[0]) { cat_set("flush set", spec.set4) ; cat("\n") ; }
  if (spec.set6[0]) { cat_set("flush set", spec.set6) ; cat("\n") ; }
}

static void element (char const *verb, char const *set, char const *net, char const *timeout)
{
  cat_set(verb, set) ;
  cat(" { ") ; cat(net) ;
  if (timeout) { cat(" timeout ") ; cat(timeout) ; cat("s") ; }
  cat(" }\n") ;
}

/* One operation line (without its newline) into the script. 1, or 0
 * for a line that is not ours to run. */
static int script_line (char const *s, size_t len)
{
  char ip[16] ;
  char net[IP6_FMT + 5] ;
  char secs[UINT64_FMT] ;
  char const *set ;
  unsigned int bits ;
  uint64_t t = 0 ;
  size_t m, n ;
  int is6 ;
  if (len == 1 && s[0] == 'R')
  {
    /* a re-sync supersedes what came before it in this batch */
    script.len = adds.len = 0 ;
    cur = &script ;
    script_reset() ;
    return 1 ;
  }
  if (len < 3 || (s[0] != 'A' && s[0] != 'D') || s[1] != ' ') return 0 ;
  s += 2 ; len -= 2 ;
  is6 = memchr(s, ':', len) != 0 ;
  m = is6 ? ip6_scan(s, ip) : ip4_scan(s, ip) ;
  if (!m || m >= len || s[m] != '/') return 0 ;
  n = uint_scan(s + m + 1, &bits) ;
  if (!n || bits > (is6 ? 128U : 32U)) return 0 ;
  m += 1 + n ;
  if (s[-2] == 'A')
  {
    if (m >= len || s[m] != ' ') return 0 ;
    n = uint64_scan(s + m + 1, &t) ;
    if (!n || t > TIMEOUT_MAX) return 0 ;
    m += 1 + n ;
  }
  if (m != len) return 0 ;
  set = is6 ? spec.set6 : spec.set4 ;
  if (!set[0]) return 1 ;  /* a family this table does not cover */
  /* our own rendering of the address, never the bytes we were sent */
  n = is6 ? ip6_fmt(net, ip) : ip4_fmt(net, ip) ;
  net[n++] = '/' ;
  n += uint_fmt(net + n, bits) ;
  net[n] = 0 ;
  secs[uint64_fmt(secs, t)] = 0 ;
  if (s[-2] == 'A')
  {
    /* banwatch deleted it first if it was there with another end */
    cur = &adds ;
    element("add element", set, net, t ? secs : 0) ;
  }
  else
  {
    /* "delete" of an absent element (the kernel ended it: the timeout)
       fails the whole transaction, so it is made present first */
    cur = &script ;
    element("add element", set, net, 0) ;
    element("delete element", set, net, 0) ;
  }
  cur = &script ;
  return 1 ;
}

/* Runs nft -f - on the script; its output (the first NFT_OUTPUT_MAX
 * bytes) goes to err. 1 if it exited 0. */
static int run_nft (stralloc const *sc, char *err, size_t *errlen, char const **why)
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
      ssize_t w = write(in[1], sc->s + written, sc->len - written) ;
      if (w < 0 && errno != EAGAIN && errno != EINTR) { fd_close(in[1]) ; in[1] = -1 ; }
      else if (w > 0 && (written += (size_t)w) == sc->len) { fd_close(in[1]) ; in[1] = -1 ; }
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
  spec = *sp ;
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
    script.len = adds.len = 0 ;
    /* every complete line now here makes one batch, up to BATCH_MAX */
    while (start < in.len && script.len + adds.len < BATCH_MAX)
    {
      char *nl = memchr(in.s + start, '\n', in.len - start) ;
      if (!nl) break ;
      if (!script_line(in.s + start, (size_t)(nl - in.s) - start))
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
    if (!script.len && !adds.len) continue ;
    {
      char err[NFT_OUTPUT_MAX] ;
      size_t errlen = 0 ;
      char const *why = "" ;
      int ok = (!script.len || run_nft(&script, err, &errlen, &why))
            && (!adds.len || run_nft(&adds, err, &errlen, &why)) ;
      if (!ok && first)
      {
        /* the set up itself fails: no nft, no nf_tables, a set of the
           wrong type... say it once and leave bans.cdb alone to do it */
        log_failure("nft_disabled", why, err, errlen) ;
        _exit(0) ;
      }
      if (!ok) log_failure("nft_error", why, err, errlen) ;
      else if (first) log_event3("nft_ready", "family", spec.family, "table", spec.table, "sets", spec.set4[0] && spec.set6[0] ? "ipv4+ipv6" : spec.set4[0] ? "ipv4" : "ipv6") ;
      first = 0 ;
      report(ok) ;
    }
  }
}

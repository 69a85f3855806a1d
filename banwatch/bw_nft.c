/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "banwatch.h"

/* The daemon's side of the nftables sets (PH_BAN_NFT_SETS): operations
 * are queued in memory and written to the helper's pipe only when it is
 * writable (the loop watches bw_nft_wfd()), so a slow or stuck nft never
 * delays an event or a bans.cdb write. The queue is bounded: past max,
 * it is dropped and the set rebuilt whole at the next check. */

static int cmdfd = -1 ;
static int statfd = -1 ;
static pid_t helper = 0 ;
static stralloc out = STRALLOC_ZERO ;
static size_t outpos = 0 ;
static size_t outmax = 1 << 20 ;  /* bw_nft_setmax: room for a whole re-sync */

static int name_ok (char const *s, size_t len)
{
  if (!len || len > 64) return 0 ;
  if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return 0 ;
  for (size_t i = 1 ; i < len ; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return 0 ;
  return 1 ;
}

/* Splits off the next blank-separated word into dst (cap bytes + 1) */
static int word (char const **s, char *dst, size_t cap)
{
  char const *p = *s ;
  size_t len = 0 ;
  while (*p == ' ' || *p == '\t') p++ ;
  while (p[len] && p[len] != ' ' && p[len] != '\t') len++ ;
  if (!len || len > cap) return 0 ;
  memcpy(dst, p, len) ;
  dst[len] = 0 ;
  *s = p + len ;
  return 1 ;
}

int bw_nft_spec_scan (char const *s, bw_nftspec *spec, char const **why)
{
  char *sets[2] ;
  unsigned int nsets ;
  memset(spec, 0, sizeof(*spec)) ;
  if (!word(&s, spec->family, sizeof(spec->family) - 1)) return (*why = "no family", 0) ;
  if (!strcmp(spec->family, "inet")) { sets[0] = spec->set4 ; sets[1] = spec->set6 ; nsets = 2 ; }
  else if (!strcmp(spec->family, "ip")) { sets[0] = spec->set4 ; nsets = 1 ; }
  else if (!strcmp(spec->family, "ip6")) { sets[0] = spec->set6 ; nsets = 1 ; }
  else return (*why = "family must be inet, ip or ip6", 0) ;
  if (!word(&s, spec->table, 64) || !name_ok(spec->table, strlen(spec->table))) return (*why = "bad table name", 0) ;
  for (unsigned int i = 0 ; i < nsets ; i++)
    if (!word(&s, sets[i], 64) || !name_ok(sets[i], strlen(sets[i]))) return (*why = nsets == 2 ? "inet needs two set names (IPv4 and IPv6)" : "bad set name", 0) ;
  while (*s == ' ' || *s == '\t') s++ ;
  if (*s) return (*why = "trailing words", 0) ;
  if (nsets == 2 && !strcmp(spec->set4, spec->set6)) return (*why = "the two sets must differ", 0) ;
  return 1 ;
}

void bw_nft_attach (int fd, int statusfd)
{
  cmdfd = fd ;
  statfd = statusfd ;
  out.len = 0 ;
  outpos = 0 ;
}

int bw_nft_active (void)
{
  return cmdfd >= 0 ;
}

static void detach (char const *why)
{
  log_event1("nft_helper_gone", "reason", why) ;
  if (cmdfd >= 0) fd_close(cmdfd) ;
  if (statfd >= 0) fd_close(statfd) ;
  cmdfd = statfd = -1 ;
  stralloc_free(&out) ;
  outpos = 0 ;
  if (helper)
  {
    /* its pipes are closed only by its exit, so this does not wait long */
    int wstat ;
    waitpid(helper, &wstat, 0) ;
    helper = 0 ;
  }
}

void bw_nft_setmax (size_t max)
{
  outmax = max ;
}

/* Forgets what is not yet written, except the rest of a line the pipe
 * already has the beginning of */
static void drop_queued (void)
{
  if (outpos && out.s[outpos - 1] != '\n')
  {
    size_t end = outpos ;
    while (end < out.len && out.s[end] != '\n') end++ ;
    out.len = end + 1 ;  /* every queued line ends with a newline */
    return ;
  }
  out.len = 0 ;
  outpos = 0 ;
}

static void queue (char const *line, size_t len)
{
  if (cmdfd < 0) return ;
  if (out.len - outpos + len > outmax)
  {
    /* the helper is stuck: forget the backlog, rebuild the set later */
    log_event1("nft_queue_full", "action", "resync") ;
    drop_queued() ;
    bw_bans_nft_resync() ;
    return ;
  }
  if (!stralloc_catb(&out, line, len)) strerr_diefu1sys(111, "allocate memory") ;
}

void bw_nft_reset (void)
{
  if (cmdfd < 0) return ;
  /* a reset supersedes whatever was queued before it */
  drop_queued() ;
  queue("R\n", 2) ;
}

static size_t fmt_net (char *s, bw_addr const *a)
{
  size_t m = a->is6 ? ip6_fmt(s, a->ip) : ip4_fmt(s, a->ip) ;
  s[m++] = '/' ;
  m += uint_fmt(s + m, a->bits) ;
  return m ;
}

void bw_nft_add (bw_addr const *a, uint64_t seconds)
{
  char line[BW_NFT_LINE_MAX] ;
  size_t m = 2 ;
  line[0] = 'A' ; line[1] = ' ' ;
  m += fmt_net(line + m, a) ;
  line[m++] = ' ' ;
  m += uint64_fmt(line + m, seconds) ;
  line[m++] = '\n' ;
  queue(line, m) ;
}

void bw_nft_del (bw_addr const *a)
{
  char line[BW_NFT_LINE_MAX] ;
  size_t m = 2 ;
  line[0] = 'D' ; line[1] = ' ' ;
  m += fmt_net(line + m, a) ;
  line[m++] = '\n' ;
  queue(line, m) ;
}

int bw_nft_wfd (void)
{
  return cmdfd >= 0 && outpos < out.len ? cmdfd : -1 ;
}

int bw_nft_rfd (void)
{
  return statfd ;
}

void bw_nft_write (void)
{
  while (cmdfd >= 0 && outpos < out.len)
  {
    ssize_t w = write(cmdfd, out.s + outpos, out.len - outpos) ;
    if (w < 0)
    {
      if (errno == EINTR) continue ;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return ;
      detach(errno == EPIPE ? "pipe closed" : "write error") ;
      return ;
    }
    outpos += (size_t)w ;
  }
  if (outpos == out.len) { out.len = 0 ; outpos = 0 ; }
}

void bw_nft_read (void)
{
  char buf[64] ;
  ssize_t r ;
  if (statfd < 0) return ;  /* a failed write already found it gone */
  r = read(statfd, buf, sizeof(buf)) ;
  if (r < 0)
  {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return ;
    detach("read error") ;
    return ;
  }
  if (!r) { detach("exited") ; return ; }
  /* "0": a batch failed (the helper logged why); "1": it was applied */
  if (memchr(buf, '0', (size_t)r)) bw_bans_nft_resync() ;
}

int bw_nft_start (bw_nftspec const *spec, uid_t uid, gid_t gid)
{
  int cmd[2], st[2] ;
  pid_t pid ;
  if (pipe2(cmd, O_CLOEXEC) < 0) { log_event1("nft_disabled", "reason", "pipe failed") ; return 0 ; }
  if (pipe2(st, O_CLOEXEC) < 0)
  {
    fd_close(cmd[0]) ; fd_close(cmd[1]) ;
    log_event1("nft_disabled", "reason", "pipe failed") ;
    return 0 ;
  }
  pid = fork() ;
  if (pid < 0)
  {
    fd_close(cmd[0]) ; fd_close(cmd[1]) ; fd_close(st[0]) ; fd_close(st[1]) ;
    log_event1("nft_disabled", "reason", "fork failed") ;
    return 0 ;
  }
  if (!pid)
  {
    /* the helper: commands on 0, reports on 1, the log on 2, nothing else */
    if (dup2(cmd[0], 0) < 0 || dup2(st[1], 1) < 0) _exit(111) ;
    close_range(3, ~0U, 0) ;
    bw_nfthelper_main(spec, uid, gid) ;
  }
  fd_close(cmd[0]) ;
  fd_close(st[1]) ;
  if (ndelay_on(cmd[1]) < 0 || ndelay_on(st[0]) < 0) strerr_diefu1sys(111, "set the helper's pipes non-blocking") ;
  helper = pid ;
  bw_nft_attach(cmd[1], st[0]) ;
  return 1 ;
}

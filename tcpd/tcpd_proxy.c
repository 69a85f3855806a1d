/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <skalibs/alloc.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "common/proxyproto.h"
#include "tcpd.h"

/* Connections from a trusted proxy (-p) wait here, in the parent's loop,
 * until their PROXY header is read; only then do the admission checks
 * (bans, access rules, rate and per-address limits) run, on the real
 * client, and the handler is forked. The header is read exactly: bytes
 * are taken only as far as proxyproto_parse says they belong to the
 * header (peeked first), so the client's first bytes stay in the socket
 * for the handler and a partial header never leaves readable data
 * behind (no busy loop). Each connection has -P seconds to send it;
 * the table is allocated once. */

typedef struct pending_s pending ;
struct pending_s
{
  int fd ;
  tcpd_peer peer ;
  tain deadline ;
  size_t have ;
  char buf[PROXYPROTO_MAX] ;
} ;

static pending *table = 0 ;
static uint32_t tablemax = 0 ;
static uint32_t n = 0 ;
static tain timeout ;

void tcpd_proxy_init (uint32_t maxpending, unsigned int secs)
{
  table = alloc(maxpending * sizeof(pending)) ;
  if (!table) strerr_diefu1sys(111, "allocate the PROXY table") ;
  tablemax = maxpending ;
  tain_uint(&timeout, secs) ;
}

uint32_t tcpd_proxy_count (void)
{
  return n ;
}

int tcpd_proxy_full (void)
{
  return n >= tablemax ;
}

void tcpd_proxy_add (int fd, tcpd_peer const *p)
{
  if (n >= tablemax) strerr_dief1x(101, "PROXY table overflow: please submit a bug-report") ;
  table[n].fd = fd ;
  table[n].peer = *p ;
  table[n].have = 0 ;
  tain_add_g(&table[n].deadline, &timeout) ;
  n++ ;
}

unsigned int tcpd_proxy_fds (iopause_fd *x)
{
  for (uint32_t i = 0 ; i < n ; i++)
  {
    x[i].fd = table[i].fd ;
    x[i].events = IOPAUSE_READ ;
    x[i].revents = 0 ;
  }
  return n ;
}

void tcpd_proxy_deadline (tain *d)
{
  for (uint32_t i = 0 ; i < n ; i++) if (tain_less(&table[i].deadline, d)) *d = table[i].deadline ;
}

static void drop (uint32_t i, char const *reason, int e)
{
  logline l ;
  log_begin(&l, "proxy_error") ;
  log_kv(&l, "proxy", table[i].peer.remotefmt) ;
  log_kvu(&l, "port", table[i].peer.remoteport) ;
  log_kv(&l, "reason", reason) ;
  if (e) log_kv(&l, "error", strerror(e)) ;
  log_commit(&l) ;
  fd_close(table[i].fd) ;
  table[i] = table[--n] ;
}

/* The header is whole: the connection becomes the real client's */
static void done (uint32_t i, proxyproto_info const *info, tcpd_ready_func *ready)
{
  pending *q = table + i ;
  tcpd_peer real = q->peer ;
  memcpy(real.proxyfmt, q->peer.remotefmt, sizeof(real.proxyfmt)) ;
  /* LOCAL / UNKNOWN: the client is not known, and the address left is
   * the balancer's, maybe loopback: the handlers must not take it for a
   * client on this host (TCPPROXYLOCAL) */
  if (info->local) real.proxylocal = 1 ;
  else
  {
    real.remote = info->src ;
    real.remoteport = info->srcport ;
    real.remotefmt[ip46_fmt(real.remotefmt, &real.remote)] = 0 ;
  }
  {
    logline l ;
    log_begin(&l, "proxy") ;
    log_kv(&l, "ip", real.remotefmt) ;
    log_kvu(&l, "port", real.remoteport) ;
    log_kv(&l, "proxy", q->peer.remotefmt) ;
    log_kvu(&l, "version", info->version) ;
    if (info->local) log_kv(&l, "local", "yes") ;
    log_commit(&l) ;
  }
  (*ready)(q->fd, &real) ;
  fd_close(q->fd) ;
  table[i] = table[--n] ;
}

/* Reads what is there, as far as it is header. Returns 1 if the entry
 * is still pending, 0 if it left the table. */
static int step (uint32_t i, tcpd_ready_func *ready)
{
  pending *q = table + i ;
  proxyproto_info info ;
  ssize_t r, h ;
  r = recv(q->fd, q->buf + q->have, PROXYPROTO_MAX - q->have, MSG_PEEK | MSG_DONTWAIT) ;
  if (r < 0)
  {
    if (error_isagain(errno) || errno == EINTR) return 1 ;
    drop(i, "read", errno) ;
    return 0 ;
  }
  if (!r) { drop(i, "eof", 0) ; return 0 ; }
  h = proxyproto_parse(q->buf, q->have + (size_t)r, &info) ;
  if (h < 0) { drop(i, "bad_header", 0) ; return 0 ; }
  {
    /* consume the header bytes among those peeked: all of them while it
     * is incomplete, else up to its end */
    size_t take = h ? (size_t)h - q->have : (size_t)r ;
    ssize_t got = recv(q->fd, q->buf + q->have, take, MSG_DONTWAIT) ;
    if (got != (ssize_t)take) { drop(i, "read", got < 0 ? errno : EIO) ; return 0 ; }
    q->have += take ;
  }
  if (!h)
  {
    if (q->have >= PROXYPROTO_MAX) { drop(i, "bad_header", 0) ; return 0 ; }
    return 1 ;
  }
  done(i, &info, ready) ;
  return 0 ;
}

void tcpd_proxy_run (iopause_fd const *x, unsigned int nx, tcpd_ready_func *ready)
{
  /* backwards: a removal moves the last entry, already seen, into the hole */
  for (unsigned int k = nx ; k-- ; )
  {
    if (k >= n || x[k].fd != table[k].fd) continue ;
    if (x[k].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) step(k, ready) ;
  }
  for (uint32_t i = n ; i-- ; )
    if (!tain_less(&STAMP, &table[i].deadline)) drop(i, "timeout", 0) ;
}

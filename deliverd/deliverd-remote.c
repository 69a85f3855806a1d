/* ISC license. */

/* deliverd-remote: delivery to other hosts over SMTP, one process per
 * connection from queued (docs/internals.md, "Routing and remote.sock"),
 * under
 *   s6-envuidgid phremote s6-ipcserver -U ... $PH_RUN_DIR/remote.sock deliverd-remote
 * with fds 0 and 1 on the connection.
 *
 * Security. It runs as phremote, a uid that owns nothing: no mailbox, no
 * queue file (it gets each message as a read-only fd), no key. It
 * refuses to run as root. It trusts its peer only after checking
 * IPCREMOTEEUID (SO_PEERCRED, via s6-ipcserverd): root or a uid of
 * PH_REMOTE_UIDS (default: PH_DELIVER_UIDS, queued's); and even then
 * every request is checked (one fd, a bounded body peeked before it is
 * read, no control byte or space that could inject an SMTP command or
 * parameter). It trusts nothing the remote servers and the DNS say:
 * replies are read line by line with a byte cap and a deadline and
 * parsed strictly, DNS names are checked byte by byte, every wait has a
 * deadline. TLS is done by tlsc, a child it forks and execs (same uid,
 * no key: common/ucspitls.h), so deliverd-remote never links libssl and
 * reads the server only through tlsc's pipes once TLS is on. It reads
 * the relay maps of PH_CONFIG_DIR (one of them holds
 * relay passwords, which it sends only to a relay, only over TLS, or to
 * a loopback relay when PH_RELAY_AUTH_INSECURE=1) and domains.cdb. It
 * writes no file. A compromise gives the ability to send mail as this
 * host and the relay passwords, not the queue, the mailboxes or the TLS
 * keys. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/uint16.h>
#include <skalibs/uint32.h>
#include <skalibs/uint64.h>
#include <skalibs/unixmessage.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/log.h"
#include "remote_conf.h"
#include "remote_deliver.h"
#include "remote_msg.h"
#include "remote_req.h"

#define USAGE "deliverd-remote [ -v verbosity ] [ -t idle_seconds ]"
#define dieusage() strerr_dieusage(100, USAGE)

#define REPLY_TIMEOUT 60   /* for queued to take our answer */

static remote_ctx ctx ;
static remote_req req ;

static void log_protocol (char const *reason)
{
  log_event1("protocol_error", "reason", reason) ;
}

 /* IPCREMOTEEUID is root, or listed in PH_REMOTE_UIDS (or, when that is
    unset, PH_DELIVER_UIDS: queued uses one uid for both sockets).
    Comma- or space-separated numbers; a malformed list lets only root
    in. */
static int peer_allowed (char const *peer)
{
  uint64_t uid ;
  char const *list ;
  if (!peer || !*peer || !uint640_scan(peer, &uid)) return 0 ;
  if (!uid) return 1 ;
  list = config_get("PH_REMOTE_UIDS") ;
  if (!list) list = config_get("PH_DELIVER_UIDS") ;
  while (list && *list)
  {
    uint64_t u ;
    size_t n ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    n = uint64_scan(list, &u) ;
    if (!n) return 0 ;
    if (u == uid) return 1 ;
    list += n ;
    if (*list && *list != ',' && *list != ' ') return 0 ;
  }
  return 0 ;
}

 /* A kept SMTP connection that speaks while idle has given up on us
    (421 and close, RFC 5321 3.8) or closed: drop it. */
static void conn_spoke (void)
{
  char buf[512] ;
  ssize_t r = read(ctx.conn.fd, buf, sizeof(buf)) ;
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return ;
  smtpc_close(&ctx.conn) ;
}

static void conn_idle_close (void)
{
  tain deadline ;
  tain_now_g() ;
  tain_addsec_g(&deadline, ctx.conf.t_quit) ;
  smtpc_quit(&ctx.conn, &deadline) ;
}

 /* Waits for the next request until the deadline, minding the kept SMTP
    connection meanwhile, and checks the request's length in the
    unixmessage header (uint32 length, uint16 fd count, big endian)
    before unixmessage_receive allocates that much. Returns 1, 0 on EOF,
    or -1 (errno ETIMEDOUT, EMSGSIZE, EPROTO, or a read error). */
static int wait_request (tain const *deadline)
{
  tain keep ;
  tain_now_g() ;
  tain_addsec_g(&keep, ctx.conf.reuse_idle) ;
  for (;;)
  {
    iopause_fd x[2] = { { .fd = 0, .events = IOPAUSE_READ }, { .fd = -1, .events = IOPAUSE_READ } } ;
    char hdr[6] ;
    ssize_t r = recv(0, hdr, 6, MSG_PEEK | MSG_DONTWAIT) ;
    unsigned int n = 1 ;
    tain const *until = deadline ;
    if (r == 0) return 0 ;
    if (r == 6)
    {
      uint32_t len ;
      uint16_t nfds ;
      uint32_unpack_big(hdr, &len) ;
      uint16_unpack_big(hdr + 4, &nfds) ;
      if (len > REMOTEREQ_MAX) return (errno = EMSGSIZE, -1) ;
      if (nfds != 1) return (errno = EPROTO, -1) ;
      return 1 ;
    }
     /* a header cut short: the receiver takes it, with its own deadline */
    if (r > 0) return 1 ;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1 ;
    if (ctx.conn.fd >= 0)
    {
      x[1].fd = ctx.conn.fd ;
      n = 2 ;
      if (tain_less(&keep, deadline)) until = &keep ;
    }
    r = iopause_g(x, n, until) ;
    if (r < 0) return -1 ;
    if (!r)
    {
      if (until == &keep && ctx.conn.fd >= 0) { conn_idle_close() ; continue ; }
      return (errno = ETIMEDOUT, -1) ;
    }
    if (n == 2 && x[1].revents) conn_spoke() ;
  }
}

static void close_fds (unixmessage const *m)
{
  for (unsigned int i = 0 ; i < m->nfds ; i++) fd_close(m->fds[i]) ;
}

static int field (stralloc *sa, char const *key, char const *value)
{
  size_t n = strlen(value) ;
  if (n > REMOTEREQ_XFIELD_MAX - 64) n = REMOTEREQ_XFIELD_MAX - 64 ;
  return stralloc_cats(sa, key) && stralloc_catb(sa, value, n) && stralloc_0(sa) ;
}

 /* The reply: per recipient, in order, its X fields then its verdict
    (docs/internals.md, "Routing and remote.sock"). */
static int build_reply (stralloc *sa)
{
  sa->len = 0 ;
  for (unsigned int i = 0 ; i < req.n ; i++)
  {
    remote_result const *r = &ctx.result[i] ;
    char v[2] = { r->verdict, 0 } ;
    if (r->mta[0])
    {
      ip46 ip ;
      size_t k = ip46_scan(r->mta, &ip) ;
      if (k && !r->mta[k])
      {
        char lit[IP46_FMT + 8] ;
        size_t w = 0 ;
        lit[w++] = '[' ;
        w += ip46_fmt(lit + w, &ip) ;
        lit[w++] = ']' ;
        lit[w] = 0 ;
        if (!field(sa, "XREMOTEMTA=", lit)) return 0 ;
      }
      else if (!field(sa, "XREMOTEMTA=", r->mta)) return 0 ;
    }
    if (r->diag[0] && !field(sa, "XDIAG=", r->diag)) return 0 ;
     /* RFC 3461 5.2.2: delivered to a server without DSN, so the sender
        gets a "relayed" notice; queued writes it */
    if (r->relayed && !field(sa, "XACTION=", "relayed")) return 0 ;
    if (!field(sa, v, r->text)) return 0 ;
  }
  return 1 ;
}

static void serve (void)
{
  char mainbuf[UNIXMESSAGE_BUFSIZE] ;
  char auxbuf[UNIXMESSAGE_AUXBUFSIZE] ;
  unixmessage_receiver in ;
  unixmessage_sender out = UNIXMESSAGE_SENDER_ZERO ;
  stralloc reply = STRALLOC_ZERO ;

  if (unixmessage_receiver_init(&in, 0, mainbuf, sizeof(mainbuf), auxbuf, sizeof(auxbuf)) == 0)
    strerr_diefusys(111, "initialize the message receiver") ;
  unixmessage_sender_init(&out, 1) ;

  for (;;)
  {
    unixmessage m ;
    remote_msg msg ;
    char const *why ;
    struct stat st ;
    tain deadline ;
    int r ;

    tain_now_g() ;
    tain_addsec_g(&deadline, ctx.conf.idle) ;
    r = unixmessage_receiver_isempty(&in) ? wait_request(&deadline) : 1 ;
    if (!r) return ;   /* queued closed the connection */
    if (r < 0)
    {
      if (errno == ETIMEDOUT)
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, ctx.conf.idle)] = 0 ;
        log_event1("idle_timeout", "seconds", fmt) ;
        return ;
      }
      if (errno == EMSGSIZE) { log_protocol("request too long") ; return ; }
      if (errno == EPROTO) { log_protocol("request without exactly one fd") ; return ; }
      strerr_diefusys(111, "read from queued") ;
    }
    r = unixmessage_timed_receive_g(&in, &m, &deadline) ;
    if (r <= 0)
    {
      if (errno == EPIPE) { log_protocol("connection closed in a request") ; return ; }
      if (errno == ETIMEDOUT) { log_protocol("timeout in a request") ; return ; }
      if (errno == EPROTO || errno == ENOBUFS) { log_protocol("malformed message framing") ; return ; }
      strerr_diefusys(111, "receive a request") ;
    }
    if (m.nfds != 1) { close_fds(&m) ; log_protocol("request without exactly one fd") ; return ; }
    if (!remote_req_parse(m.s, m.len, &req, &why)) { close_fds(&m) ; log_protocol(why) ; return ; }
    if (fstat(m.fds[0], &st) == -1 || !S_ISREG(st.st_mode))
    {
      close_fds(&m) ;
      log_protocol("the fd is not a regular file") ;
      return ;
    }

    ctx.req = &req ;
    ctx.msg = &msg ;
    if (!remote_msg_scan(m.fds[0], &msg))
    {
      remote_fail f ;
      remote_fail_text(&f, "4.3.0", "unable to read the queue file") ;
      for (unsigned int i = 0 ; i < req.n ; i++) remote_verdict_fail(&ctx.result[i], 'Z', &f) ;
      log_event2("queue_read_error", "qid", req.qid, "reason", strerror(errno)) ;
    }
    else if (!remote_deliver(&ctx)) strerr_diefusys(111, "deliver") ;
    close_fds(&m) ;

    if (!build_reply(&reply)) strerr_diefusys(111, "build the reply") ;
    {
      unixmessage rm = { .s = reply.s, .len = reply.len, .fds = 0, .nfds = 0 } ;
      tain_now_g() ;
      tain_addsec_g(&deadline, REPLY_TIMEOUT) ;
      if (!unixmessage_put(&out, &rm)) strerr_diefusys(111, "queue the reply") ;
      if (!unixmessage_sender_timed_flush_g(&out, &deadline))
      {
        if (errno == EPIPE) { log_protocol("connection closed before the reply") ; return ; }
        strerr_diefusys(111, "send the reply") ;
      }
    }
  }
}

int main (int argc, char const *const *argv)
{
  unsigned int idle = 0 ;
  char const *bad ;
  PROG = "deliverd-remote" ;

  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:t:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &log_verbosity)) dieusage() ; break ;
        case 't' : if (!uint0_scan(l.arg, &idle) || !idle) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }

  if (!config_init())
  {
    if (errno == EINVAL)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, config_error_line())] = 0 ;
      strerr_dief(100, "syntax error in $PH_ENVFILE line ", fmt) ;
    }
    strerr_diefusys(111, "read $PH_ENVFILE") ;
  }
  if (!remote_conf_read(&ctx.conf, &bad)) strerr_dief(100, "invalid ", bad) ;
  if (idle) ctx.conf.idle = idle ;

  if (!peer_allowed(getenv("IPCREMOTEEUID")))
  {
    char const *peer = getenv("IPCREMOTEEUID") ;
    log_event2("refused", "euid", peer ? peer : "unknown", "reason", "peer uid not allowed") ;
    return 1 ;
  }
  if (!geteuid()) strerr_dief(100, "refusing to run as root: run under s6-ipcserver -U as phremote") ;

  ctx.conn.fd = -1 ;
  ctx.dns_ready = 0 ;
  {
    cdbmap z = CDBMAP_ZERO ;
    ctx.domains = z ;
  }
  if (ctx.conf.cdb_dir)
  {
    size_t n = strlen(ctx.conf.cdb_dir) ;
    if (n + sizeof("/domains.cdb") > sizeof(ctx.domains_path)) strerr_dief(100, "PH_CDB_DIR too long") ;
    memcpy(ctx.domains_path, ctx.conf.cdb_dir, n) ;
    memcpy(ctx.domains_path + n, "/domains.cdb", sizeof("/domains.cdb")) ;
    if (!cdbmap_open(&ctx.domains, ctx.domains_path)) strerr_diefusys(111, "open ", ctx.domains_path) ;
  }
  else ctx.domains.path = "" ;

  if (!sig_altignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  if (ndelay_on(0) == -1 || ndelay_on(1) == -1) strerr_diefusys(111, "make the connection non-blocking") ;
  tain_now_set_stopwatch_g() ;

  serve() ;
  if (ctx.conn.fd >= 0) conn_idle_close() ;
  return 0 ;
}

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
 * writes no file: a forward to be ARC-sealed (XFORWARD) is sent to the
 * signing service, dkimsign.sock, which alone holds the keys, and the
 * sealed copy lives in a memfd. A compromise gives the ability to send mail as this
 * host, ARC seals of any text as our domains (the service seals for
 * phremote) and the relay passwords, not the queue, the mailboxes, the
 * DKIM keys or the TLS keys. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/ip46.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/log.h"
#include "delivconn.h"
#include "remote_conf.h"
#include "remote_arc.h"
#include "remote_deliver.h"
#include "remote_msg.h"
#include "remote_req.h"

#define USAGE "deliverd-remote [ -v verbosity ] [ -t idle_seconds ]"
#define dieusage() strerr_dieusage(100, USAGE)

static remote_ctx ctx ;
static remote_req req ;

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

 /* Waits for fd 0 until the deadline, minding the kept SMTP connection
    meanwhile: closed after PH_REMOTE_REUSE_IDLE, dropped when it speaks
    (delivconn_wait_func). */
static int wait_minding_conn (tain const *deadline, void *data)
{
  tain keep ;
  (void)data ;
  tain_now_g() ;
  tain_addsec_g(&keep, ctx.conf.reuse_idle) ;
  for (;;)
  {
    iopause_fd x[2] = { { .fd = 0, .events = IOPAUSE_READ }, { .fd = -1, .events = IOPAUSE_READ } } ;
    unsigned int n = 1 ;
    tain const *until = deadline ;
    int r ;
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
      return 0 ;
    }
    if (n == 2 && x[1].revents) conn_spoke() ;
    if (x[0].revents) return 1 ;
  }
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

static int parse (char const *s, size_t len, char const **why, void *data)
{
  (void)data ;
  return remote_req_parse(s, len, &req, why) ;
}

static void handle (int fd, stralloc *reply, void *data)
{
  remote_msg msg ;
  int sendfd = remote_arc(&req, fd) ;   /* fd, or a sealed copy */
  (void)data ;
  ctx.req = &req ;
  ctx.msg = &msg ;
  if (!remote_msg_scan(sendfd, &msg))
  {
    remote_fail f ;
    remote_fail_text(&f, "4.3.0", "unable to read the queue file") ;
    for (unsigned int i = 0 ; i < req.n ; i++) remote_verdict_fail(&ctx.result[i], 'Z', &f) ;
    log_event2("queue_read_error", "qid", req.qid, "reason", strerror(errno)) ;
  }
  else if (!remote_deliver(&ctx)) strerr_diefusys(111, "deliver") ;
  if (sendfd != fd) fd_close(sendfd) ;
  if (!build_reply(reply)) strerr_diefusys(111, "build the reply") ;
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

  config_load() ;
  if (!remote_conf_read(&ctx.conf, &bad)) strerr_dief(100, "invalid ", bad) ;
  if (idle) ctx.conf.idle = idle ;

   /* PH_REMOTE_UIDS, or else PH_DELIVER_UIDS: queued uses one uid for
      both sockets */
  {
    char const *uids = config_get("PH_REMOTE_UIDS") ;
    if (!delivconn_peer(uids ? uids : config_get("PH_DELIVER_UIDS"))) return 1 ;
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

  {
    delivconn c = { .idle = ctx.conf.idle, .max = REMOTEREQ_MAX, .wait = &wait_minding_conn, .parse = &parse, .handle = &handle, .data = 0 } ;
    delivconn_serve(&c) ;
  }
  if (ctx.conn.fd >= 0) conn_idle_close() ;
  return 0 ;
}

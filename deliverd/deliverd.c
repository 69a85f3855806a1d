/* ISC license. */

/* deliverd: local delivery into Maildirs, one process per connection
 * from queued (docs/internals.md, Delivery), under
 *   s6-envuidgid vmail s6-ipcserver -U ... $PH_RUN_DIR/deliverd.sock deliverd
 * with fds 0 and 1 on the connection.
 *
 * Security. It runs as vmail, the owner of every mailbox, and refuses to
 * run as root (mail written as root would be unreadable by the IMAP side
 * and a bug would have the whole system to write to). It trusts its peer
 * only after checking IPCREMOTEEUID, which s6-ipcserverd takes from
 * SO_PEERCRED: root or a uid in PH_DELIVER_UIDS (queued's); anyone else
 * is logged and dropped. It trusts the recipient maps written by mailctl
 * (root) but still refuses a maildir value that would leave PH_MAILROOT
 * (absolute, "..", empty components). Requests are still checked: one
 * fd, a bounded text0 body (16 KiB, peeked before it is read), no control
 * bytes in the addresses that go into header lines, an idle deadline.
 * It writes only under PH_MAILROOT: tmp/ and new/ of Maildirs, the
 * directories of missing Maildirs and folders; no symlink below it is
 * followed (a mailbox owner could plant one). A compromise gives the
 * vmail uid: every mailbox's contents, read and write, but not the queue,
 * the passwords, the keys or the configuration. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <skalibs/uint16.h>
#include <skalibs/uint32.h>
#include <skalibs/uint64.h>
#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/config.h"
#include "common/log.h"
#include "common/maildir.h"
#include "common/rcpt.h"
#include "deliver.h"
#include "delivreq.h"

#define USAGE "deliverd [ -v verbosity ] [ -t idle_seconds ]"
#define dieusage() strerr_dieusage(100, USAGE)

#define IDLE_DEFAULT 600     /* queued keeps connections open between messages */
#define REPLY_TIMEOUT 60     /* for queued to take our answer */

static deliverctx ctx = DELIVERCTX_ZERO ;

static void log_protocol (char const *reason)
{
  log_event1("protocol_error", "reason", reason) ;
}

 /* IPCREMOTEEUID is root, or listed in PH_DELIVER_UIDS (comma- or
    space-separated numbers; a malformed list lets only root in). */
static int peer_allowed (char const *peer)
{
  uint64_t uid ;
  char const *list ;
  if (!peer || !*peer || !uint640_scan(peer, &uid)) return 0 ;
  if (!uid) return 1 ;
  list = config_get("PH_DELIVER_UIDS") ;
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

 /* Waits for the next request until the deadline and checks its length
    in the unixmessage header (uint32 length, uint16 fd count, big endian)
    before unixmessage_receive allocates that much (up to 256 MiB). Only
    meaningful when the receiver's buffer is empty (queued sends one
    request and waits for the answer). Returns 1, 0 on EOF, or -1. */
static int peek_request (tain const *deadline)
{
  iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
  for (;;)
  {
    char hdr[6] ;
    ssize_t r = recv(0, hdr, 6, MSG_PEEK | MSG_DONTWAIT) ;
    if (r == 0) return 0 ;
    if (r == 6)
    {
      uint32_t len ;
      uint16_t nfds ;
      uint32_unpack_big(hdr, &len) ;
      uint16_unpack_big(hdr + 4, &nfds) ;
      if (len > DELIVREQ_MAX) return (errno = EMSGSIZE, -1) ;
      if (nfds != 1) return (errno = EPROTO, -1) ;
      return 1 ;
    }
    if (r > 0)
    {
       /* A header cut short (queued writes header and body in one
          sendmsg, so this is rare): waiting here would spin on a readable
          fd, so let the receiver take it with its own deadline and its
          own cap. */
      return 1 ;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1 ;
    x.revents = 0 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r == -1) return -1 ;
    if (!r) return (errno = ETIMEDOUT, -1) ;
  }
}

static void close_fds (unixmessage const *m)
{
  for (unsigned int i = 0 ; i < m->nfds ; i++) fd_close(m->fds[i]) ;
}

static void serve (unsigned int idle)
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
    delivreq req ;
    char const *why ;
    struct stat st ;
    tain deadline ;
    int r ;

    tain_now_g() ;
    tain_addsec_g(&deadline, idle) ;
     /* A client that pipelines may already have the next request in our
        buffer: then there is nothing to peek at. */
    r = unixmessage_receiver_isempty(&in) ? peek_request(&deadline) : 1 ;
    if (!r) return ;   /* queued closed the connection */
    if (r < 0)
    {
      if (errno == ETIMEDOUT)
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, idle)] = 0 ;
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
    if (!delivreq_parse(m.s, m.len, &req, &why)) { close_fds(&m) ; log_protocol(why) ; return ; }
    if (fstat(m.fds[0], &st) == -1 || !S_ISREG(st.st_mode))
    {
      close_fds(&m) ;
      log_protocol("the fd is not a regular file") ;
      return ;
    }

    if (!deliver_request(&ctx, &req, m.fds[0], &reply)) strerr_diefusys(111, "handle a request") ;
    close_fds(&m) ;

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
  stralloc host = STRALLOC_ZERO ;
  char const *mailroot ;
  char const *cdbdir ;
  PROG = "deliverd" ;

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
  if (!idle)
  {
    uint64_t u ;
    if (!config_get_uint("PH_DELIVERY_IDLE_TIMEOUT", IDLE_DEFAULT, &u) || !u || u > 86400)
      strerr_dief(100, "invalid PH_DELIVERY_IDLE_TIMEOUT") ;
    idle = (unsigned int)u ;
  }

  if (!config_get_bool("PH_TAG_TO_FOLDER", 0, &ctx.tag_to_folder))
    strerr_dief(100, "invalid PH_TAG_TO_FOLDER: use 0 or 1") ;

  if (!peer_allowed(getenv("IPCREMOTEEUID")))
  {
    char const *peer = getenv("IPCREMOTEEUID") ;
    log_event2("refused", "euid", peer ? peer : "unknown", "reason", "peer uid not allowed") ;
    return 1 ;
  }
  if (!geteuid()) strerr_dief(100, "refusing to run as root: run under s6-ipcserver -U as the Maildir owner") ;

  mailroot = config_get("PH_MAILROOT") ;
  if (!mailroot) strerr_dienotset(100, "PH_MAILROOT") ;
  cdbdir = config_get("PH_CDB_DIR") ;
  if (!cdbdir) strerr_dienotset(100, "PH_CDB_DIR") ;

  ctx.rootfd = open(mailroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (ctx.rootfd == -1) strerr_diefusys(111, "open ", mailroot) ;
  if (!rcptmaps_open(&ctx.maps, cdbdir)) strerr_diefusys(111, "open the recipient maps in ", cdbdir) ;
  if (!maildir_host_escape(config_hostname(), &host)) strerr_diefusys(111, "escape the host name") ;
  ctx.host = host.s ;

  if (!sig_altignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
   /* a file size limit must show as EFBIG (mailbox full), not kill us */
  if (!sig_altignore(SIGXFSZ)) strerr_diefusys(111, "ignore SIGXFSZ") ;
  if (ndelay_on(0) == -1 || ndelay_on(1) == -1) strerr_diefusys(111, "make the connection non-blocking") ;
  tain_now_set_stopwatch_g() ;

  serve(idle) ;
  return 0 ;
}

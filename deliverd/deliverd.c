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
 * It writes only under PH_MAILROOT: tmp/ and new/ of Maildirs, their
 * maildirsize files (Maildir++ quota), the directories of missing
 * Maildirs and folders; and in $PH_STATE/quota the over-quota status of
 * Maildirs for smtpd; no symlink below it is
 * followed (a mailbox owner could plant one). A compromise gives the
 * vmail uid: every mailbox's contents, read and write, but not the queue,
 * the passwords, the keys or the configuration. */

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include <skalibs/types.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/log.h"
#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/rcpt.h"
#include "deliver.h"
#include "delivconn.h"
#include "delivreq.h"

#define USAGE "deliverd [ -v verbosity ] [ -t idle_seconds ]"
#define dieusage() strerr_dieusage(100, USAGE)

#define IDLE_DEFAULT 600     /* queued keeps connections open between messages */

static deliverctx ctx = DELIVERCTX_ZERO ;

static int parse (char const *s, size_t len, char const **why, void *data)
{
  return delivreq_parse(s, len, (delivreq *)data, why) ;
}

static void handle (int fd, stralloc *reply, void *data)
{
  if (!deliver_request(&ctx, (delivreq const *)data, fd, reply)) strerr_diefusys(111, "handle a request") ;
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

  config_load() ;
  if (!idle)
  {
    uint64_t u ;
    if (!config_get_uint("PH_DELIVERY_IDLE_TIMEOUT", IDLE_DEFAULT, &u) || !u || u > 86400)
      strerr_dief(100, "invalid PH_DELIVERY_IDLE_TIMEOUT") ;
    idle = (unsigned int)u ;
  }

  if (!config_get_bool("PH_TAG_TO_FOLDER", 0, &ctx.tag_to_folder))
    strerr_dief(100, "invalid PH_TAG_TO_FOLDER: use 0 or 1") ;
  {
    uint64_t u ;
    if (!config_get_uint("PH_MAX_HOPS", DELIVER_MAXHOPS, &u) || !u || u > 10000)
      strerr_dief(100, "invalid PH_MAX_HOPS: 1 to 10000") ;
    ctx.maxhops = (unsigned int)u ;
    if (!config_get_uint("PH_QUOTA_GRACE", DELIVER_QUOTA_GRACE, &u) || u > 100)
      strerr_dief(100, "invalid PH_QUOTA_GRACE: a percentage, 0 to 100") ;
    ctx.quotagrace = (unsigned int)u ;
  }

  if (!delivconn_peer(config_get("PH_DELIVER_UIDS"))) return 1 ;
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
   /* Missing (no account has a quota, or mailctl could not make it):
      quotas still hold here, only smtpd's early 452 is lost. */
  ctx.quotafd = maildirsize_status_open() ;

  if (!sig_altignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
   /* a file size limit must show as EFBIG (mailbox full), not kill us */
  if (!sig_altignore(SIGXFSZ)) strerr_diefusys(111, "ignore SIGXFSZ") ;
  if (ndelay_on(0) == -1 || ndelay_on(1) == -1) strerr_diefusys(111, "make the connection non-blocking") ;
  tain_now_set_stopwatch_g() ;

  {
    delivreq req ;
    delivconn c = { .idle = idle, .max = DELIVREQ_MAX, .wait = 0, .parse = &parse, .handle = &handle, .data = &req } ;
    delivconn_serve(&c) ;
  }
  return 0 ;
}

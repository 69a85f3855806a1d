/* ISC license. */

/* queued-inject: the server side of injection connections
 * (docs/internals.md "Injection", docs/queue.md).
 *
 * Security. Runs as phinject on $PH_RUN_DIR/inject.sock (a mode 0666
 * socket), either resident (-L: the listening socket on fd 0, a parent
 * and pre-forked workers, inject_pool.c) or for one connection on fds 0
 * and 1 (by hand, or under s6-ipcserver). It trusts only the kernel's
 * word on the peer's uid: SO_PEERCRED, read by each worker on each
 * accepted connection, or IPCREMOTEEUID, which s6-ipcserverd takes from
 * SO_PEERCRED; it records it as X peeruid= (a client's own peeruid
 * field is dropped). The envelope claims of root and of PH_INJECT_UIDS
 * (smtpd's uid) are kept as sent; any other local uid
 * (PH_INJECT_ANY_LOCAL, on by default as in Postfix) loses its U, P, C
 * and H fields and gets P LOCAL. Nothing else the client sends is
 * trusted: every netstring is bounded (field 4096, 10000 recipients,
 * 64 KiB chunks, the message size limit), every read has a deadline
 * (PH_INJECT_IDLE_TIMEOUT, 600 s) and every message a 24 h one; a worker
 * starts each connection afresh (inject_conn.c) and is replaced after
 * -m connections. It writes only under $PH_QUEUE_DIR: tmp/<pid>/ and the
 * commit rename into incoming/, the two directories its group may write
 * (the queue itself it may only pass through, docs/queue.md
 * "Permissions"). A compromise gives the phinject uid: it could forge new
 * mail and meddle with messages not yet taken from incoming/, and a
 * compromised worker with the injections later workers of the pool
 * serve; it cannot reach queue/, where accepted mail waits, nor touch
 * mailboxes, keys or config.
 */

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <skalibs/types.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>

#include "queued/inject_conn.h"
#include "queued/inject_pool.h"

#define USAGE "queued-inject [ -L [ -n workers ] [ -m max-use ] [ -d notif ] ]"
#define dieusage() strerr_dieusage(100, USAGE)

/* One worker per session that may be in DATA at once (a worker serves
 * one connection at a time, and smtpd keeps its connection for the whole
 * DATA phase): 200, what s6-ipcserver -c allowed before, covers the MX's
 * PH_SMTP_MAXCONN (100) and as many submission sessions. A connection
 * beyond it waits in the listen backlog rather than being refused. */
#define WORKERS_DEFAULT 200
#define WORKERS_MAX 10000
/* Postfix's max_use. */
#define MAXUSE_DEFAULT 100

int main (int argc, char const *const *argv)
{
  int resident = 0 ;
  int notif = -1 ;
  unsigned int workers = WORKERS_DEFAULT ;
  unsigned int maxuse = MAXUSE_DEFAULT ;
  PROG = "queued-inject" ;
  /* What it creates is queued's to read, journal into and remove, through
   * the group (inject_store.c): the group bits must survive. */
  umask(007) ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "Ln:m:d:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'L' : resident = 1 ; break ;
        case 'n' : if (!uint0_scan(l.arg, &workers) || !workers || workers > WORKERS_MAX) dieusage() ; break ;
        case 'm' : if (!uint0_scan(l.arg, &maxuse) || !maxuse) dieusage() ; break ;
        case 'd' : { unsigned int u ; if (!uint0_scan(l.arg, &u) || u < 3) dieusage() ; notif = (int)u ; break ; }
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc) dieusage() ;
  if (resident) return injpool_run(0, workers, maxuse, notif) ;
  if (notif >= 0) dieusage() ;

  /* One connection on fds 0 and 1; the peer is s6-ipcserverd's word. */
  if (!sig_ignore(SIGPIPE)) strerr_diefusys(111, "ignore SIGPIPE") ;
  {
    char const *peer = getenv("IPCREMOTEEUID") ;
    return injconn_serve(0, 1, peer ? peer : "", 0) ;
  }
}

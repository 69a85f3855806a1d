/* ISC license. */

/* lmtpd: an RFC 2033 LMTP server delivering into posthaste's Maildirs,
 * so that an MTA in front (Postfix: virtual_transport = lmtp:unix:...)
 * hands mail over as it would to Dovecot's LMTP. One process per
 * connection, UCSPI: the client on fds 0 and 1, under
 *   s6-envuidgid vmail s6-ipcserver -U ... $PH_RUN_DIR/lmtp.sock lmtpd
 * or, when PH_LMTP_PORT is set, s6-envuidgid vmail tcpd -U ip port lmtpd.
 *
 * Security. It runs as vmail, the owner of every mailbox, and refuses to
 * run as root (mail must belong to the Maildir owner, and a bug must not
 * have the whole system to write to). The socket is world-writable by
 * default, so any local user may deliver mail, as with a local sendmail;
 * PH_LMTP_UIDS restricts the Unix socket to the listed peer uids
 * (IPCREMOTEEUID, from SO_PEERCRED). Everything the peer sends is
 * untrusted: lines are bounded (2048 octets), messages by the size limit
 * (held in an anonymous memory file), every wait by a deadline, and bad
 * input gets a protocol error. It trusts the recipient maps written by
 * mailctl, but never a Maildir path that leaves PH_MAILROOT. It writes
 * only below PH_MAILROOT (tmp/ and new/ of Maildirs, their maildirsize
 * files, missing Maildirs and folders), never following a symlink there,
 * and the over-quota status of Maildirs in $PH_STATE/quota. It relays nothing: a
 * recipient that is not a local mailbox is refused. A compromise gives
 * the vmail uid: every mailbox's contents, read and write; not the queue,
 * the passwords or the keys. */

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/maildir.h"
#include "common/maildirsize.h"
#include "common/rcpt.h"
#include "common/uidlist.h"
#include "smtpd/smtp_start.h"
#include "deliver.h"
#include "lmtp.h"

#define USAGE "lmtpd [ -v verbosity ]"
#define dieusage() strerr_dieusage(100, USAGE)

/* Is peer listed in PH_LMTP_UIDS? 1 yes, 0 no, -1 the list is
 * malformed. */
static int uid_listed (char const *list, char const *peer)
{
  uint64_t uid ;
  if (!peer || !*peer || peer[uint64_scan(peer, &uid)]) return 0 ;
  return uidlist_match(list, uid) ;
}

static lmtp_session session ;
static deliverctx dctx = DELIVERCTX_ZERO ;

int main (int argc, char const *const *argv)
{
  static lmtp_conf conf ;
  stralloc host = STRALLOC_ZERO ;
  stralloc peer = STRALLOC_ZERO ;
  char const *mailroot ;
  char const *cdbdir ;
  char const *euid = getenv("IPCREMOTEEUID") ;
  PROG = "lmtpd" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &log_verbosity)) dieusage() ; break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  if (argc) dieusage() ;

  smtp_start_config() ;

  /* who is talking to us, for the logs and the uid check */
  if (getenv("TCPREMOTEIP"))
  {
    session.ip = getenv("TCPREMOTEIP") ;
    session.rdns = getenv("TCPREMOTEHOST") ;
    session.peer = session.ip ;
  }
  else
  {
    if (!stralloc_cats(&peer, "uid:") || !stralloc_cats(&peer, euid ? euid : "unknown") || !stralloc_0(&peer))
      smtp_start_diesys("allocate memory", "") ;
    session.peer = peer.s ;
  }
  {
    /* Only a Unix socket tells the peer's uid; over TCP, tcpd's access
     * rules and the listening address are the fence. */
    char const *list = config_get("PH_LMTP_UIDS") ;
    if (list && !session.ip)
    {
      int r = uid_listed(list, euid) ;
      if (r < 0) smtp_start_dieconfig("PH_LMTP_UIDS") ;
      if (!r)
      {
        static char const msg[] = "421 4.7.0 access denied\r\n" ;
        log_event3("refused", "peer", session.peer, "euid", euid ? euid : "unknown", "reason", "peer uid not in PH_LMTP_UIDS") ;
        allwrite(1, msg, sizeof(msg) - 1) ;
        return 1 ;
      }
    }
  }
  if (!geteuid()) smtp_start_die("refusing to run as root: run under s6-ipcserver -U (or tcpd -U) as the Maildir owner", "") ;

  conf.hostname = config_hostname() ;
  conf.maxsize = smtp_start_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000) ;
  conf.maxrcpt = smtp_start_uint("PH_LMTP_MAX_RCPT", 1000, 1, 100000) ;
  conf.maxerrors = smtp_start_uint("PH_LMTP_MAX_ERRORS", 20, 1, 100000) ;
  /* RFC 5321 4.5.3.2 */
  conf.tcommand = smtp_start_uint("PH_LMTP_TIMEOUT", 300, 1, 86400) ;
  conf.tdatablock = smtp_start_uint("PH_LMTP_DATA_BLOCK_TIMEOUT", 180, 1, 86400) ;
  conf.tdataterm = smtp_start_uint("PH_LMTP_DATA_TERM_TIMEOUT", 600, 1, 86400) ;
  conf.tsession = smtp_start_uint("PH_LMTP_SESSION_TIMEOUT", 3600, 1, 7 * 86400) ;
  dctx.tag_to_folder = smtp_start_bool("PH_TAG_TO_FOLDER", 0) ;
  dctx.maxhops = smtp_start_uint("PH_MAX_HOPS", DELIVER_MAXHOPS, 1, 10000) ;
  dctx.quotagrace = smtp_start_uint("PH_QUOTA_GRACE", DELIVER_QUOTA_GRACE, 0, 100) ;
  /* no queue behind us to forward through: deliverd.c's R lines */
  dctx.noforward = 1 ;

  mailroot = config_get("PH_MAILROOT") ;
  cdbdir = config_get("PH_CDB_DIR") ;
  if (!mailroot) smtp_start_die("PH_MAILROOT", " not set") ;
  if (!cdbdir) smtp_start_die("PH_CDB_DIR", " not set") ;
  dctx.rootfd = open(mailroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dctx.rootfd == -1) smtp_start_diesys("open ", mailroot) ;
  if (!rcptmaps_open(&dctx.maps, cdbdir)) smtp_start_diesys("open the recipient maps in ", cdbdir) ;
  if (!maildir_host_escape(config_hostname(), &host)) smtp_start_diesys("escape the host name", "") ;
  dctx.host = host.s ;
  dctx.quotafd = maildirsize_status_open() ;

  /* A file size limit must show as EFBIG (mailbox full), not kill us. */
  smtp_start_fds() ;
  if (!sig_ignore(SIGXFSZ)) smtp_start_diesys("ignore SIGXFSZ", "") ;

  {
    char const *ip = session.ip ;
    char const *rdns = session.rdns ;
    char const *who = session.peer ;
    lmtp_session_init(&session, &conf, &dctx, 0, 1) ;
    session.ip = ip ;
    session.rdns = rdns ;
    session.peer = who ;
  }
  lmtp_session_run(&session) ;
}

/* ISC license. */

/* smtpd: the MX intake, one process per SMTP connection (UCSPI: the
 * client on fds 0 and 1, its address in TCPREMOTEIP).
 *
 * Security. It runs as phsmtpd (tcpd drops to that uid before exec),
 * with no privilege at all, and refuses to run as root: a handler chain
 * that forgot to drop privileges (tcpd -R) must not give the network a
 * root process. It trusts nothing that comes from the
 * network: every line and every message byte is read with a length cap
 * and a deadline, and answered with a protocol error when bad. It reads
 * the recipient maps (domains.cdb, users.cdb, aliases.cdb, world
 * readable) and writes on disk only its per-address RCPT counters
 * ($PH_STATE/ratelimit-ip, its own, when PH_SMTP_RCPT_RATE_IP is set);
 * it reports failures to banwatch (a datagram). The only thing it can do
 * to the system is inject a message through queued's socket, which
 * checks its uid and owns the queue. A compromised smtpd could therefore
 * inject mail (relay, forge envelopes), skew the rate counters and feed
 * banwatch false failures (get addresses banned), but not read anyone's
 * mail, passwords or keys, nor alter the queue. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/policyclient.h"
#include "common/rcpt.h"
#include "smtp_mxpolicy.h"
#include "smtp_relaynet.h"
#include "smtp_session.h"
#include "smtp_start.h"

#define USAGE "smtpd [ -v verbosity ]"
#define dieusage() strerr_dieusage(100, USAGE)

static smtp_session session ;

int main (int argc, char const *const *argv)
{
  static smtp_mxpolicy policy = { .maps = RCPTMAPS_ZERO, .hostname = 0, .postmaster = 0 } ;
  static smtp_relaynets relaynets ;
  static policyclient pclient ;
  smtp_engine engine = { .ehlo_extra = 0, .rcptcheck = &smtp_mxpolicy_rcptcheck, .policy = &policy } ;
  PROG = "smtpd" ;
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
  if (!geteuid()) smtp_start_die("refusing to run as root: run under tcpd -U (or a chain that drops privileges) as phsmtpd", "") ;
  smtp_start_config() ;
  smtp_start_engine(&engine) ;
  {
    size_t errpos = 0 ;
    char const *nets = config_get("PH_RELAY_NETWORKS") ;
    if (!smtp_relaynets_parse(&relaynets, nets, &errpos))
      smtp_start_die("invalid network in PH_RELAY_NETWORKS: ", nets + errpos) ;
    if (!smtp_permitnet_add(&relaynets, config_get("PERMIT_DOCKER")))
    {
      if (errno == EINVAL) smtp_start_dieconfig("PERMIT_DOCKER") ;
      smtp_start_diesys("read the local networks for PERMIT_DOCKER", "") ;
    }
  }
  {
    char const *spec = config_get("PH_POLICY_SERVICE") ;
    if (spec)
    {
      char const *fail = config_get_default("PH_POLICY_FAIL", "open") ;
      if (!policyclient_init(&pclient, spec)) smtp_start_dieconfig("PH_POLICY_SERVICE") ;
      if (!strcmp(fail, "closed")) engine.pfailclosed = 1 ;
      else if (strcmp(fail, "open")) smtp_start_dieconfig("PH_POLICY_FAIL") ;
      engine.ptimeout = smtp_start_uint("PH_POLICY_TIMEOUT", 10, 1, 3600) ;
      engine.pclient = &pclient ;
    }
  }
  smtp_start_mxpolicy(&policy, engine.hostname) ;
  smtp_start_ratelimit(&policy.iprate, "PH_SMTP_RCPT_RATE_IP", "ratelimit-ip") ;
  smtp_start_fds() ;

  smtp_start_session(&session, &engine) ;
  smtp_tls_implicit(&session) ;
  session.relayclient = smtp_relaynets_match(&relaynets, session.ip) ;
  return smtp_session_run(&session) ;
}

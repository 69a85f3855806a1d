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
 * readable) and writes nothing on disk: the only thing it can do to the
 * system is inject a message through queued's socket, which checks its
 * uid and owns the queue. A compromised smtpd could therefore inject
 * mail (relay, forge envelopes), but not read anyone's mail, passwords
 * or keys, nor alter the queue. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/policyclient.h"
#include "common/rcpt.h"
#include "smtp_mxpolicy.h"
#include "smtp_relaynet.h"
#include "smtp_session.h"

#define USAGE "smtpd [ -v verbosity ]"
#define dieusage() strerr_dieusage(100, USAGE)

/* The client is waiting for a greeting: tell it to come back later
 * rather than leave it hanging, then die as usual. */
static void tempfail_client (void)
{
  static char const msg[] = "421 4.3.5 service temporarily unavailable\r\n" ;
  allwrite(1, msg, sizeof(msg) - 1) ;
}

static void dieconfig (char const *name)
{
  tempfail_client() ;
  strerr_dief3x(100, "invalid value for ", name, " in the environment or PH_ENVFILE") ;
}

static unsigned int get_uint (char const *name, unsigned int def, unsigned int min, unsigned int max)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || u < min || u > max) dieconfig(name) ;
  return (unsigned int)u ;
}

static smtp_session session ;

int main (int argc, char const *const *argv)
{
  static smtp_mxpolicy policy = { .maps = RCPTMAPS_ZERO, .hostname = 0, .postmaster = 0 } ;
  static smtp_relaynets relaynets ;
  static policyclient pclient ;
  smtp_engine engine = { .ehlo_extra = 0, .rcptcheck = &smtp_mxpolicy_rcptcheck, .policy = &policy } ;
  stralloc injectpath = STRALLOC_ZERO ;
  char const *ip ;
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
  if (!geteuid())
  {
    tempfail_client() ;
    strerr_dief1x(100, "refusing to run as root: run under tcpd -U (or a chain that drops privileges) as phsmtpd") ;
  }

  if (!config_init())
  {
    tempfail_client() ;
    if (errno == EINVAL)
    {
      char fmt[UINT_FMT] ;
      fmt[uint_fmt(fmt, config_error_line())] = 0 ;
      strerr_dief2x(100, "syntax error in PH_ENVFILE at line ", fmt) ;
    }
    strerr_diefu1sys(111, "read PH_ENVFILE") ;
  }

  engine.hostname = config_hostname() ;
  policy.hostname = engine.hostname ;
  policy.postmaster = config_get("POSTMASTER_ADDRESS") ;
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000, &engine.maxsize)) dieconfig("POSTFIX_MESSAGE_SIZE_LIMIT") ;
  engine.maxrcpt = get_uint("PH_SMTP_MAX_RCPT", 1000, 1, 100000) ;
  engine.maxerrors = get_uint("PH_SMTP_MAX_ERRORS", 20, 1, 100000) ;
  engine.linemax = get_uint("PH_SMTP_LINE_MAX", SMTP_LINE_DEFAULT, 512, SMTP_LINE_MAX) ;
  engine.datalinemax = get_uint("PH_SMTP_DATA_LINE_MAX", SMTP_DATALINE_DEFAULT, 998, 16 * 1024 * 1024) ;
  /* RFC 5321 4.5.3.2 */
  engine.timeouts.command = get_uint("PH_SMTP_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.mail = get_uint("PH_SMTP_MAIL_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.rcpt = get_uint("PH_SMTP_RCPT_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.datainit = get_uint("PH_SMTP_DATA_INIT_TIMEOUT", 120, 1, 86400) ;
  engine.timeouts.datablock = get_uint("PH_SMTP_DATA_BLOCK_TIMEOUT", 180, 1, 86400) ;
  engine.timeouts.dataterm = get_uint("PH_SMTP_DATA_TERM_TIMEOUT", 600, 1, 86400) ;
  engine.timeouts.session = get_uint("PH_SMTP_SESSION_TIMEOUT", 3600, 1, 7 * 86400) ;
  {
    size_t errpos = 0 ;
    char const *nets = config_get("PH_RELAY_NETWORKS") ;
    if (!smtp_relaynets_parse(&relaynets, nets, &errpos))
    {
      tempfail_client() ;
      strerr_dief2x(100, "invalid network in PH_RELAY_NETWORKS: ", nets + errpos) ;
    }
    if (!smtp_permitnet_add(&relaynets, config_get("PERMIT_DOCKER")))
    {
      if (errno == EINVAL) dieconfig("PERMIT_DOCKER") ;
      tempfail_client() ;
      strerr_diefu1sys(111, "read the local networks for PERMIT_DOCKER") ;
    }
  }
  {
    char const *spec = config_get("PH_POLICY_SERVICE") ;
    if (spec)
    {
      char const *fail = config_get_default("PH_POLICY_FAIL", "open") ;
      if (!policyclient_init(&pclient, spec)) dieconfig("PH_POLICY_SERVICE") ;
      if (!strcmp(fail, "closed")) engine.pfailclosed = 1 ;
      else if (strcmp(fail, "open")) dieconfig("PH_POLICY_FAIL") ;
      engine.ptimeout = get_uint("PH_POLICY_TIMEOUT", 10, 1, 3600) ;
      engine.pclient = &pclient ;
    }
  }
  if (!stralloc_cats(&injectpath, config_get_default("PH_RUN_DIR", "/run/posthaste"))
   || !stralloc_cats(&injectpath, "/inject.sock")
   || !stralloc_0(&injectpath))
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "allocate memory") ;
  }
  engine.injectpath = injectpath.s ;
  if (!rcptmaps_open(&policy.maps, config_get_default("PH_CDB_DIR", "/var/mail-state/posthaste/cdb")))
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "open the recipient maps in PH_CDB_DIR") ;
  }

  /* Deadlines only work on non-blocking fds (skalibs timed_* read first,
   * then wait). A client that goes away must give EPIPE, not a signal. */
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0)
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "set the client fds non-blocking") ;
  }
  if (!sig_ignore(SIGPIPE))  /* skalibs 2.13: 1 on success, 0 on failure */
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "ignore SIGPIPE") ;
  }
  tain_now_set_stopwatch_g() ;

  ip = getenv("TCPREMOTEIP") ;
  smtp_session_init(&session, &engine, 0, 1, ip, getenv("TCPREMOTEPORT"), getenv("TCPREMOTEHOST")) ;
  session.localip = getenv("TCPLOCALIP") ;
  session.localport = getenv("TCPLOCALPORT") ;
  smtp_tls_implicit(&session) ;
  session.relayclient = smtp_relaynets_match(&relaynets, ip) ;
  return smtp_session_run(&session) ;
}

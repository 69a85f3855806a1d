/* ISC license. */

/* submitd: RFC 6409 message submission (ports 587 with STARTTLS and 465
 * with implicit TLS, RFC 8314), one process per connection (UCSPI: the
 * client on fds 0 and 1), on the SMTP engine smtpd uses
 * (smtpd/smtp_session.h), with AUTH through authd.
 *
 * Security. It runs as phsubmit (s6-setuidgid in the service's chain,
 * after tlsd's engine took the keys), refuses to run as root, and
 * trusts nothing from the network: lines, SASL responses and message
 * bytes are read with length caps and deadlines. It never sees a
 * password hash: it relays the client's base64 to authd
 * ($PH_RUN_DIR/auth.sock) and believes only authd's OK, whose user name
 * becomes the envelope's U field. It reads the recipient maps
 * (world-readable cdb) and writes only its rate-limit files under
 * $PH_STATE/ratelimit (its own directory, mode 0700). Until a client has
 * authenticated (in TLS, or from loopback when allowed) it can open no
 * transaction. A compromised submitd could inject mail as any user through
 * queued's socket (which trusts its uid, as it trusts smtpd's) and try
 * passwords against authd as any client could; it holds no key, no
 * hash and no mailbox. */

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

#include "common/authclient.h"
#include "common/config.h"
#include "common/log.h"
#include "common/rcpt.h"
#include "smtpd/smtp_mxpolicy.h"
#include "smtpd/smtp_session.h"
#include "submitd.h"

#define USAGE "submitd [ -v verbosity ]"
#define dieusage() strerr_dieusage(100, USAGE)

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

static void dienomem (void)
{
  tempfail_client() ;
  strerr_diefu1sys(111, "allocate memory") ;
}

static unsigned int get_uint (char const *name, unsigned int def, unsigned int min, unsigned int max)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || u < min || u > max) dieconfig(name) ;
  return (unsigned int)u ;
}

static int get_bool (char const *name, int def)
{
  int b ;
  if (!config_get_bool(name, def, &b)) dieconfig(name) ;
  return b ;
}

static char const *path_in (stralloc *sa, char const *dir, char const *file)
{
  if (!stralloc_cats(sa, dir) || !stralloc_cats(sa, file) || !stralloc_0(sa)) dienomem() ;
  return sa->s ;
}

/* 127.0.0.0/8, ::1, and the IPv4-mapped loopback: the client is on this
 * machine (tcpd sets TCPREMOTEIP from the kernel's peer address). */
static int is_loopback (char const *ip)
{
  if (!ip) return 0 ;
  if (!strncmp(ip, "::ffff:", 7)) ip += 7 ;
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") ;
}

static smtp_session session ;
static sub_state state = { .policy = { .maps = RCPTMAPS_ZERO, .hostname = 0, .postmaster = 0 }, .ac = AUTHCLIENT_ZERO } ;

static smtp_hooks const hooks =
{
  .ehlo = &sub_ehlo,
  .auth = &sub_do_auth,
  .mailgate = &sub_mailgate,
  .mailcheck = &sub_mailcheck,
  .msgstart = &sub_msgstart,
  .msgput = &sub_msgput,
  .msgend = &sub_msgend,
  .txend = &sub_txend
} ;

int main (int argc, char const *const *argv)
{
  smtp_engine engine = { .ehlo_extra = 0, .rcptcheck = &smtp_mxpolicy_rcptcheck, .policy = &state.policy, .pclient = 0, .hooks = &hooks } ;
  stralloc injectpath = STRALLOC_ZERO ;
  stralloc authpath = STRALLOC_ZERO ;
  stralloc ratedir = STRALLOC_ZERO ;
  char const *rundir ;
  char const *ip ;
  PROG = "submitd" ;
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
    strerr_dief1x(100, "refusing to run as root: run under s6-setuidgid phsubmit (or tcpd -U)") ;
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

  /* the engine: smtpd's settings, where the meaning is the same */
  engine.hostname = config_hostname() ;
  state.policy.hostname = engine.hostname ;
  state.policy.postmaster = config_get("POSTMASTER_ADDRESS") ;
  if (!config_get_size("POSTFIX_MESSAGE_SIZE_LIMIT", 10240000, &engine.maxsize)) dieconfig("POSTFIX_MESSAGE_SIZE_LIMIT") ;
  engine.maxrcpt = get_uint("PH_SMTP_MAX_RCPT", 1000, 1, 100000) ;
  engine.maxerrors = get_uint("PH_SMTP_MAX_ERRORS", 20, 1, 100000) ;
  engine.linemax = get_uint("PH_SMTP_LINE_MAX", SMTP_LINE_DEFAULT, 512, SMTP_LINE_MAX) ;
  engine.datalinemax = get_uint("PH_SMTP_DATA_LINE_MAX", SMTP_DATALINE_DEFAULT, 998, 16 * 1024 * 1024) ;
  engine.timeouts.command = get_uint("PH_SMTP_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.mail = get_uint("PH_SMTP_MAIL_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.rcpt = get_uint("PH_SMTP_RCPT_TIMEOUT", 300, 1, 86400) ;
  engine.timeouts.datainit = get_uint("PH_SMTP_DATA_INIT_TIMEOUT", 120, 1, 86400) ;
  engine.timeouts.datablock = get_uint("PH_SMTP_DATA_BLOCK_TIMEOUT", 180, 1, 86400) ;
  engine.timeouts.dataterm = get_uint("PH_SMTP_DATA_TERM_TIMEOUT", 600, 1, 86400) ;
  engine.timeouts.session = get_uint("PH_SMTP_SESSION_TIMEOUT", 3600, 1, 7 * 86400) ;

  /* submission's own */
  state.maxauthfail = get_uint("PH_SUBMISSION_MAX_AUTH_FAIL", 3, 1, 1000) ;
  state.spoof = get_bool("SPOOF_PROTECTION", 0) ;
  state.delims = config_get_default("PH_RECIPIENT_DELIMITER", "+") ;
  {
    char const *spec = config_get("PH_SUBMISSION_RATE") ;
    if (spec && !sub_rate_parse(spec, &state.rate.count, &state.rate.window)) dieconfig("PH_SUBMISSION_RATE") ;
    state.rate.dir = path_in(&ratedir, config_get_default("PH_STATE", "/var/mail-state/posthaste"), "/ratelimit") ;
  }
  rundir = config_get_default("PH_RUN_DIR", "/run/posthaste") ;
  engine.injectpath = path_in(&injectpath, rundir, "/inject.sock") ;
  state.authpath = path_in(&authpath, rundir, "/auth.sock") ;
  if (!rcptmaps_open(&state.policy.maps, config_get_default("PH_CDB_DIR", "/var/mail-state/posthaste/cdb")))
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "open the recipient maps in PH_CDB_DIR") ;
  }

  if (ndelay_on(0) < 0 || ndelay_on(1) < 0)
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "set the client fds non-blocking") ;
  }
  if (!sig_ignore(SIGPIPE))
  {
    tempfail_client() ;
    strerr_diefu1sys(111, "ignore SIGPIPE") ;
  }
  tain_now_set_stopwatch_g() ;

  ip = getenv("TCPREMOTEIP") ;
  state.plainok = get_bool("PH_SUBMISSION_PLAINTEXT_LOOPBACK", 0) && is_loopback(ip) ;
  smtp_session_init(&session, &engine, 0, 1, ip, getenv("TCPREMOTEPORT"), getenv("TCPREMOTEHOST")) ;
  session.localip = getenv("TCPLOCALIP") ;
  session.localport = getenv("TCPLOCALPORT") ;
  session.hookdata = &state ;
  /* 465: tlsd -i did the handshake before we ran */
  smtp_tls_implicit(&session) ;
  return smtp_session_run(&session) ;
}

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

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/authclient.h"
#include "common/config.h"
#include "common/log.h"
#include "common/rcpt.h"
#include "common/nodump.h"
#include "smtpd/smtp_mxpolicy.h"
#include "smtpd/smtp_session.h"
#include "smtpd/smtp_start.h"
#include "submitd.h"

#define USAGE "submitd [ -v verbosity ]"
#define dieusage() strerr_dieusage(100, USAGE)

static char const *path_in (stralloc *sa, char const *dir, char const *file)
{
  if (!stralloc_cats(sa, dir) || !stralloc_cats(sa, file) || !stralloc_0(sa)) smtp_start_diesys("allocate memory", "") ;
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
  stralloc authpath = STRALLOC_ZERO ;
  stralloc ratedir = STRALLOC_ZERO ;
  PROG = "submitd" ;
  nodump() ;  /* other processes of this uid must not read our memory */
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
  if (!geteuid()) smtp_start_die("refusing to run as root: run under s6-setuidgid phsubmit (or tcpd -U)", "") ;
  smtp_start_config() ;

  /* the engine: smtpd's settings, where the meaning is the same */
  smtp_start_engine(&engine) ;

  /* submission's own */
  state.maxauthfail = smtp_start_uint("PH_SUBMISSION_MAX_AUTH_FAIL", 3, 1, 1000) ;
  state.spoof = smtp_start_bool("SPOOF_PROTECTION", 0) ;
  state.delims = config_get_default("PH_RECIPIENT_DELIMITER", "+") ;
  {
    char const *spec = config_get("PH_SUBMISSION_RATE") ;
    if (spec && !ratelimit_parse(spec, &state.rate.count, &state.rate.window)) smtp_start_dieconfig("PH_SUBMISSION_RATE") ;
    state.rate.dir = path_in(&ratedir, config_get_default("PH_STATE", "/var/mail-state/posthaste"), "/ratelimit") ;
  }
  state.authpath = path_in(&authpath, config_get_default("PH_RUN_DIR", "/run/posthaste"), "/auth.sock") ;
  smtp_start_mxpolicy(&state.policy, engine.hostname) ;
  smtp_start_ratelimit(&state.policy.userrate, "PH_SUBMISSION_RCPT_RATE", "ratelimit/rcpt") ;
  smtp_start_fds() ;

  /* behind a balancer that named no client (PROXY LOCAL/UNKNOWN),
   * TCPREMOTEIP is the balancer's own, maybe loopback: not a local client */
  state.plainok = smtp_start_bool("PH_SUBMISSION_PLAINTEXT_LOOPBACK", 0) && is_loopback(getenv("TCPREMOTEIP"))
    && !getenv("TCPPROXYLOCAL") ;
  smtp_start_session(&session, &engine) ;
  session.hookdata = &state ;
  /* 465: tlsd -i did the handshake before we ran */
  smtp_tls_implicit(&session) ;
  return smtp_session_run(&session) ;
}

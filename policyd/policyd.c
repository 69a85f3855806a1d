/* ISC license. */

/* policyd: the SMTP access policy delegation server (Postfix
 * SMTPD_POLICY_README) that checks SPF (RFC 7208) at RCPT, for our smtpd
 * (PH_POLICY_SERVICE) and for any Postfix (check_policy_service
 * unix:$PH_RUN_DIR/policy.sock, or inet: through tcpd on PH_POLICY_PORT).
 * policyd/README.md tells the settings, the actions and the log lines.
 *
 * Security: s6-ipcserver (or tcpd) runs one policyd per connection as
 * uid phpolicy, which owns nothing. It trusts nothing from the peer:
 * lines are bounded (POLICY_LINE_MAX), so are the attributes of a
 * request, and the connection has an idle deadline; the client address,
 * HELO name and sender it is given are only ever looked up in the DNS
 * and echoed, sanitized, in its answer. It trusts the DNS for nothing
 * but SPF answers: records and macro strings are parsed by bounded code
 * (common/spf) and every lookup has a deadline (PH_SPF_TIMEOUT). It
 * writes nothing on disk, only its answer and its log. A compromise
 * gives the power to accept or refuse mail at RCPT for the MTAs that
 * ask it, and the answers of the resolver, nothing else.
 *
 * policyd -t checks one (ip, helo, sender) from the command line. The
 * content-filter face (DMARC, ARC, Authentication-Results) is another
 * program, policyd-filter. */

#include <string.h>

#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "common/log.h"
#include "common/spf.h"
#include "policyd.h"

#define USAGE "policyd [ -v verbosity ] | policyd -t [ -i mailfrom|helo|both ] ip helo sender"
#define dieusage() strerr_dieusage(100, USAGE)

int main (int argc, char const *const *argv)
{
  policy_settings set ;
  int test = 0, identity = 0 ;
  PROG = "policyd" ;
  {
    subgetopt l = SUBGETOPT_ZERO ;
    for (;;)
    {
      int opt = subgetopt_r(argc, argv, "v:ti:", &l) ;
      if (opt == -1) break ;
      switch (opt)
      {
        case 'v' : if (!uint0_scan(l.arg, &log_verbosity)) dieusage() ; break ;
        case 't' : test = 1 ; break ;
        case 'i' :
          if (!strcmp(l.arg, "mailfrom")) identity = SPF_ID_MAILFROM ;
          else if (!strcmp(l.arg, "helo")) identity = SPF_ID_HELO ;
          else if (!strcmp(l.arg, "both")) identity = 0 ;
          else dieusage() ;
          break ;
        default : dieusage() ;
      }
    }
    argc -= l.ind ; argv += l.ind ;
  }
  config_load() ;
  policy_settings_load(&set) ;
  if (test)
  {
    if (argc != 3) dieusage() ;
    return policy_test(&set, identity, argv[0], argv[1], argv[2]) ;
  }
  if (argc) dieusage() ;
  return policy_serve(&set) ;
}

/* ISC license. */

/* dkimsign: DKIM signatures for outgoing mail (RFC 6376, RFC 8463).
 *
 * Security:
 * - `dkimsign` (plain filter) and `dkimsign -s` (the signing service,
 *   one per connection on $PH_RUN_DIR/dkimsign.sock under s6-ipcserver)
 *   run as phdkim (or root), the only uid that can read the private
 *   keys (0600 or 0640 root:phdkim). They trust the config folder
 *   (KeyTable, SigningTable, rspamd's files: the admin's) and the
 *   environment. The message is untrusted: it is read whole but
 *   bounded (64 MiB, a deadline), parsed only for its header fields
 *   (bounded counts and lengths, common/dkim.h) and its From address.
 *   The service signs only for root and the uids of PH_DKIM_UIDS
 *   (default PH_DELIVER_UIDS: queued), from SO_PEERCRED
 *   (IPCREMOTEEUID): any other local user could otherwise get any text
 *   signed as our domains. ARC seals (arcseal requests, RFC 8617, for
 *   mail our aliases forward) only for root and PH_ARC_UIDS (default
 *   phremote: deliverd-remote); their cv= comes from our own
 *   Authentication-Results, which no sender can forge (policyd-filter
 *   removes such fields from outside). It writes nothing on disk; it answers on
 *   the socket and logs on stderr.
 *   A compromise gives the private keys: the power to sign mail as
 *   every domain we sign for, until the keys are replaced in DNS.
 * - `dkimsign -c` is the chain entry queued's chain runs (as phfilter,
 *   through filterrun; it must not read keys): it passes the message to the service and the
 *   answer back, bounded (64 KiB answer, a deadline). It holds nothing.
 * - `dkimsign -v` verifies (any uid, no key): its result is only text.
 * - `dkimsign -b KEYFILE` measures signing and verification speed with
 *   a key the caller could read anyway (tests/bench/run dkim).
 */

#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "dkimsign.h"

#define USAGE "dkimsign [ -s | -c | -v [ -T unixtime ] | -b keyfile ]"


int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  int mode = 0 ;
  uint64_t at = 0 ;
  char const *benchkey = 0 ;
  PROG = "dkimsign" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "scvT:b:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 's' : case 'c' : case 'v' :
        if (mode) strerr_dieusage(100, USAGE) ;
        mode = opt ;
        break ;
      case 'b' :
        if (mode) strerr_dieusage(100, USAGE) ;
        mode = 'b' ;
        benchkey = l.arg ;
        break ;
      case 'T' : if (!uint640_scan(l.arg, &at)) strerr_dieusage(100, USAGE) ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  if (l.ind < argc) strerr_dieusage(100, USAGE) ;
  switch (mode)
  {
    case 's' : return ds_server() ;
    case 'c' : return ds_client() ;
    case 'v' : return at ? ds_verify_at(at) : ds_verify() ;
    case 'b' : return ds_bench(benchkey) ;
    default : return ds_filter() ;
  }
}

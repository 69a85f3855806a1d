/* ISC license. */

#include <string.h>

#include <skalibs/ip46.h>

#include "tlsc.h"

/* The name comes from deliverd-remote (an MX host name from DNS, or a
 * relay's next hop from the configuration). It goes into the
 * ClientHello and the log, so only a plain host name passes (the check
 * tlsd applies to SNI), or an address, which RFC 6066 section 3 keeps
 * out of SNI and which the certificate must then carry as an iPAddress
 * (RFC 5280 section 4.2.1.6). */

int tlsc_peer_scan (char const *s, tlsc_peer *p)
{
  char tmp[TLSD_NAME_MAX + 2] ;
  size_t n = strlen(s) ;
  ip46 ip ;
  if (!n || n > TLSD_NAME_MAX + 1) return 0 ;
  {
    size_t k = ip46_scan(s, &ip) ;
    if (k && k == n)
    {
      if (n > TLSD_NAME_MAX) return 0 ;
      memcpy(p->name, s, n + 1) ;
      p->isip = 1 ;
      return 1 ;
    }
  }
  memcpy(tmp, s, n + 1) ;
  if (tmp[n-1] == '.') tmp[--n] = 0 ;   /* a fully qualified name as DNS writes it */
  if (!n || !tlsd_name_valid(tmp, p->name)) return 0 ;
  p->isip = 0 ;
  return 1 ;
}

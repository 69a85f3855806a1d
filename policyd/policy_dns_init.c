/* ISC license. */

#include <errno.h>

#include <unbound.h>

#include "common/config.h"
#include "common/dns.h"
#include "policyd.h"

/* libunbound answers some reverse zones itself, empty (its default
 * local zones: RFC 1918 space, RFC 6303 documentation and link-local
 * ranges). With a forwarder named, the admin's resolver is the one that
 * knows them: a "ptr" mechanism or %{p} for a client in 192.168/16 or
 * 2001:db8::/32 must get the forwarder's PTR records, not a local
 * NXDOMAIN. Without a forwarder, unbound's defaults stay. */

static char const *const zones[] =
{
  "10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
  "19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.", "22.172.in-addr.arpa.",
  "23.172.in-addr.arpa.", "24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
  "27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
  "31.172.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.",
  "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
  "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
  "8.b.d.0.1.0.0.2.ip6.arpa.",
} ;

int policy_dns_init (dns *d)
{
  char buf[64] ;
  if (!dns_init(d)) return 0 ;
  if (!config_get("PH_DNS_RESOLVER")) return 1 ;
  for (unsigned int i = 0 ; i < sizeof(zones) / sizeof(zones[0]) ; i++)
  {
    size_t n = 0 ;
    for (char const *s = zones[i] ; *s ; s++) buf[n++] = *s ;
    for (char const *s = " transparent" ; *s ; s++) buf[n++] = *s ;
    buf[n] = 0 ;
    if (ub_ctx_set_option((struct ub_ctx *)d->ctx, "local-zone:", buf))
    {
      dns_free(d) ;
      return (errno = EIO, 0) ;
    }
  }
  return 1 ;
}

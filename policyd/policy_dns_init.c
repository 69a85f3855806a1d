/* ISC license. */

#include "common/dns.h"
#include "policyd.h"

/* The resolver of policyd's faces. common/dns_ub.c lets the forwarder
 * named in PH_DNS_RESOLVER answer the private and documentation reverse
 * zones unbound would answer empty itself, so a "ptr" mechanism or %{p}
 * for a client in 192.168/16 gets the forwarder's PTR records. */

int policy_dns_init (dns *d)
{
  return dns_init(d) ;
}

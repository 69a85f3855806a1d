/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_ROUTE_H
#define POSTHASTE_DELIVERD_REMOTE_ROUTE_H

/* Where a message goes: straight to the recipient domain's MX hosts, or
 * through a smarthost, configured as docker-mailserver configures
 * Postfix (deliverd/README-remote.md, "Smarthost"). */

#include <stdint.h>

#include <skalibs/ip46.h>

#include "common/cdbmap.h"
#include "common/dns.h"
#include "remote_conf.h"

#define REMOTE_NEXTHOP_MAX 300
#define REMOTE_CRED_MAX 512
#define REMOTE_WHY_MAX 200

typedef struct remote_route_s remote_route, *remote_route_ref ;
struct remote_route_s
{
  int relay ;                  /* through a smarthost */
  int mx ;                     /* look up the MX records of host (no [] around it) */
  int literal ;                /* host is an address: ip */
  ip46 ip ;
  char host[DNS_NAME_MAX + 1] ;
  uint16_t port ;              /* 0: the default SMTP port */
  char nexthop[REMOTE_NEXTHOP_MAX + 1] ;   /* the relay as configured, for logs */
  int auth ;                   /* credentials below */
  char user[REMOTE_CRED_MAX + 1] ;
  char pass[REMOTE_CRED_MAX + 1] ;
  char key[DNS_NAME_MAX + 32] ;            /* the connection-reuse key */
  char why[REMOTE_WHY_MAX] ;               /* a refusal with its reason, when *why needs one */
} ;

/* Parses a Postfix next hop: "[host]:port", "[host]", "host:port",
 * "host"; host a name or (in brackets, optionally "ipv6:"-prefixed) an
 * address. [] means no MX lookup. A name with U-labels is kept in its
 * A-label form (RFC 5891 5: what DNS and TLS SNI take). 1, or 0 if
 * malformed (then r->why says why when the reason is an IDNA one). */
extern int remote_nexthop_parse (char const *s, remote_route *r) ;

/* The route of a message from sender to recipients in domain (a domain
 * with U-labels is routed by its A-labels). Returns
 * 1; 0 on a configuration or system error, with *why set (a temporary
 * failure: the mail waits for the admin); -1 if the domain cannot be
 * routed (not a valid domain name), with *why set. */
extern int remote_route_find (remote_conf const *, cdbmap *domains, char const *sender, char const *domain, remote_route *r, char const **why) ;

/* Looks key up (ASCII case ignored) in a Postfix-style table file:
 * lines "key value" (whitespace between, value may be empty or hold
 * spaces), '#' comments, blank lines; the first match wins. Returns 1
 * (the value copied to value, max bytes with the NUL), 0 not found or no
 * such file, -1 on error (errno; EINVAL: a value longer than max-1). */
extern int remote_map_find (char const *path, char const *key, char *value, size_t max) ;

#endif

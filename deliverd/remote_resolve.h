/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_RESOLVE_H
#define POSTHASTE_DELIVERD_REMOTE_RESOLVE_H

/* The addresses to try for a route, in order (RFC 5321 5.1). */

#include <stdint.h>

#include <skalibs/ip46.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "remote_conf.h"
#include "remote_route.h"

#define REMOTE_MX_MAX 10      /* MX hosts considered */
#define REMOTE_ADDR_MAX 10    /* addresses tried, over all hosts */

typedef struct remote_addr_s remote_addr, *remote_addr_ref ;
struct remote_addr_s
{
  char host[DNS_NAME_MAX + 1] ;
  ip46 ip ;
  uint16_t port ;
} ;

/* Fills addr[0..*n). Returns 1 with at least one address; otherwise
 * *why is a verdict text starting with its enhanced code ("5.1.10 ...",
 * "4.4.3 ...") written into why (whymax bytes), and it returns 0 for a
 * temporary failure, -1 for a permanent one. */
extern int remote_resolve (dns *, remote_conf const *, remote_route const *, remote_addr *addr, unsigned int *n, char *why, size_t whymax) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_MAILCTL_DNS_H
#define POSTHASTE_MAILCTL_DNS_H

#include "mailctl-internal.h"

/* mailctl dns DOMAIN (dns.c): the records to publish, in zone-file form. */
extern void mc_dns (mcctx *, int argc, char const *const *argv) ;

#endif

/* ISC license. */

#ifndef POSTHASTE_QUEUED_QROUTE_H
#define POSTHASTE_QUEUED_QROUTE_H

/* Which delivery agent a recipient goes to (docs/internals.md, "Routing
 * and remote.sock"): a domain in domains.cdb is local (deliverd.sock),
 * any other remote (remote.sock). The map is re-read when mailctl
 * replaces it. */

#include <stddef.h>

#define QROUTE_DOMAIN_MAX 255

/* Opens the maps in cdbdir. 1, or 0 with errno. */
extern int qroute_open (char const *cdbdir) ;

/* QROUTE_LOCAL or QROUTE_REMOTE for addr, or -1 with errno on a lookup
 * error (ENOENT: domains.cdb is missing; the caller defers). An address
 * that does not parse is routed local: deliverd answers it D5.1.3. */
extern int qroute_classify (char const *addr) ;

/* The domain of addr (after its last '@'), lower-cased, into dom
 * (QROUTE_DOMAIN_MAX + 1 bytes, NUL-terminated, cut if longer). Returns
 * its length. */
extern size_t qroute_domain (char const *addr, char *dom) ;

#endif

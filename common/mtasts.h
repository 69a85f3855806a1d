/* ISC license. */

#ifndef POSTHASTE_MTASTS_H
#define POSTHASTE_MTASTS_H

#include <skalibs/stralloc.h>

/* The MTA-STS policy file (RFC 8461 §3.2) this server publishes, built
 * from the environment so that webd (which serves it) and `mailctl dns`
 * (which prints the _mta-sts TXT id, a hash of it) can never disagree:
 *   version: STSv1
 *   mode: PH_MTA_STS_MODE (testing | enforce | none; default testing)
 *   mx: each of PH_MTA_STS_MX (names or "*." patterns, separated by
 *       commas or spaces; default: host)
 *   max_age: PH_MTA_STS_MAX_AGE (seconds, at most 31557600; default
 *       604800, one week)
 * Lines end with CRLF (§3.2 allows LF or CRLF; CRLF is what every
 * published policy seen in practice uses).
 * Appends the policy to sa and returns 1. Returns 0 with errno set if
 * memory runs out, or -1 if a setting is bad, with *why pointing to a
 * static message naming it (sa then holds a partial policy: the caller
 * stops). */
extern int mtasts_policy (stralloc *sa, char const *host, char const **why) ;

#endif

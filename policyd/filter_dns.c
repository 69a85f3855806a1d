/* ISC license. */

/* DKIM keys, ARC keys and DMARC records through dkim_dns's cache; each
 * lookup gets the smaller of its own timeout and what is left before
 * the filter's deadline, and none is asked after it: a slow or silent
 * resolver gives temperror, never a hang (issue 7). */

#include <skalibs/tai.h>

#include "filter.h"

void filter_dns_init (filter_dns *fd, dns *resolver, unsigned int per_lookup_ms, unsigned int total_ms)
{
  dkim_dns_init(&fd->cache, resolver, per_lookup_ms) ;
  fd->per_lookup_ms = per_lookup_ms ;
  fd->ok = !!resolver ;
  tain_now_set_stopwatch_g() ;
  tain_from_millisecs(&fd->deadline, total_ms) ;
  tain_add_g(&fd->deadline, &fd->deadline) ;
}

int filter_dns_lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  filter_dns *fd = ctx ;
  tain left ;
  uint64_t ms ;
  if (!fd->ok) return (*why = "no DNS resolver", -1) ;
  tain_now_set_stopwatch_g() ;
  if (!tain_less(&STAMP, &fd->deadline)) return (*why = "DNS deadline passed", -1) ;
  tain_sub(&left, &fd->deadline, &STAMP) ;
  ms = tain_to_millisecs(&left) ;
  fd->cache.timeout_ms = ms < fd->per_lookup_ms ? (unsigned int)(ms ? ms : 1) : fd->per_lookup_ms ;
  return dkim_dns_lookup(&fd->cache, name, records, why) ;
}

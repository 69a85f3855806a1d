/* ISC license. */

/* Key records through common/dns.h, with a small cache: a resident
 * verifier (policyd) sees the same few selectors over and over. */

#include <string.h>
#include <time.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/dkim.h"

void dkim_dns_init (dkim_dns *d, dns *resolver, unsigned int timeout_ms)
{
  memset(d, 0, sizeof(*d)) ;
  d->resolver = resolver ;
  d->timeout_ms = timeout_ms ;
}

/* RFC 1035 §3.3.14: one or more <character-string>s, joined (RFC 6376
 * §3.6.2.2). */
int dkim_txt_join (char const *rdata, size_t len, stralloc *out)
{
  size_t i = 0 ;
  if (!len) return 0 ;
  while (i < len)
  {
    size_t n = (unsigned char)rdata[i++] ;
    if (n > len - i) return 0 ;
    if (!stralloc_catb(out, rdata + i, n)) return 0 ;
    i += n ;
  }
  return 1 ;
}

int dkim_cache_get (dkim_dns *d, char const *name, uint64_t now, stralloc *records)
{
  for (unsigned int i = 0 ; i < DKIM_CACHE_SIZE ; i++)
  {
    dkim_cache_entry *e = d->cache + i ;
    if (!e->name[0] || e->expires <= now || strcmp(e->name, name)) continue ;
    if (!stralloc_catb(records, e->text, e->len)) return -1 ;
    d->hits++ ;
    return e->count ;
  }
  return -2 ;
}

void dkim_cache_put (dkim_dns *d, char const *name, int count, char const *text, size_t len, uint64_t now, uint32_t ttl)
{
  dkim_cache_entry *e = 0 ;
  size_t nl = strlen(name) ;
  if (len > DKIM_RECORD_MAX || nl > DNS_NAME_MAX || !ttl) return ;
  if (ttl > DKIM_CACHE_TTL_MAX) ttl = DKIM_CACHE_TTL_MAX ;
  /* the same name, else a free or expired slot, else the one that
     expires first */
  for (unsigned int i = 0 ; i < DKIM_CACHE_SIZE ; i++)
  {
    dkim_cache_entry *c = d->cache + i ;
    if (c->name[0] && !strcmp(c->name, name)) { e = c ; break ; }
    if (!e || !c->name[0] || c->expires <= now || (e->name[0] && e->expires > now && c->expires < e->expires)) e = c ;
  }
  memcpy(e->name, name, nl + 1) ;
  e->count = count ;
  e->expires = now + ttl ;
  memcpy(e->text, text, len) ;
  e->len = len ;
}

#ifndef PH_FUZZING

int dkim_dns_lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  dkim_dns *d = ctx ;
  dns_query q ;
  tain deadline ;
  uint64_t now = (uint64_t)time(0) ;
  size_t start = records->len, pos = 0 ;
  char const *rdata ;
  size_t rlen ;
  uint32_t ttl = DKIM_CACHE_TTL_DEFAULT ;
  int r = dkim_cache_get(d, name, now, records) ;
  if (r >= 0) return r ;
  if (r == -1) return (*why = "out of memory", -1) ;
  d->misses++ ;
  dns_query_init(&q, name, DNS_T_TXT) ;
  tain_now_set_stopwatch_g() ;
  tain_from_millisecs(&deadline, d->timeout_ms) ;
  tain_add_g(&deadline, &deadline) ;
  if (!dns_run(d->resolver, &q, 1, &deadline))
  {
    dns_query_free(&q) ;
    return (*why = "resolver error", -1) ;
  }
  if (q.ttl) ttl = q.ttl ;   /* the record's own TTL (capped in dkim_cache_put) */
  switch (q.status)
  {
    case DNS_OK : break ;
    case DNS_NXDOMAIN :
    case DNS_NODATA :
      dns_query_free(&q) ;
      dkim_cache_put(d, name, 0, "", 0, now, ttl) ;
      return 0 ;
    case DNS_TIMEOUT :
      dns_query_free(&q) ;
      return (*why = "key lookup timed out", -1) ;
    default :
      *why = q.why ? q.why : dns_status_str(q.status) ;
      dns_query_free(&q) ;
      return -1 ;
  }
  r = 0 ;
  while (dns_record_next(&q, &pos, &rdata, &rlen))
  {
    size_t before = records->len ;
    if (!dkim_txt_join(rdata, rlen, records)) { records->len = before ; continue ; }
    /* a NUL inside would split the record: make it unparsable instead */
    for (size_t i = before ; i < records->len ; i++) if (!records->s[i]) records->s[i] = 1 ;
    if (!stralloc_0(records)) { dns_query_free(&q) ; records->len = start ; return (*why = "out of memory", -1) ; }
    r++ ;
  }
  dns_query_free(&q) ;
  dkim_cache_put(d, name, r, records->s + start, records->len - start, now, ttl) ;
  return r ;
}

#else

/* The fuzz build has no resolver: every lookup fails for now. */
int dkim_dns_lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  (void)ctx ; (void)name ; (void)records ;
  *why = "no resolver in the fuzz build" ;
  return -1 ;
}

#endif

/* ISC license. */

/* Everything that calls libunbound, in one file so that the fuzz build
 * (which links every common object but not -lunbound) can leave it out. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/uint16.h>

#include "common/config.h"
#include "common/dns.h"

#ifndef PH_FUZZING

#include <unbound.h>

#define RESOLVER_ITEM_MAX 64   /* "ipv6-address@port" */

 /* PH_DNS_RESOLVER: "ip[@port]" items separated by commas or spaces. */
static char const *const forwarded_zones[] =
{
  "test. transparent",
  "10.in-addr.arpa. transparent", "16.172.in-addr.arpa. transparent", "17.172.in-addr.arpa. transparent",
  "18.172.in-addr.arpa. transparent", "19.172.in-addr.arpa. transparent", "20.172.in-addr.arpa. transparent",
  "21.172.in-addr.arpa. transparent", "22.172.in-addr.arpa. transparent", "23.172.in-addr.arpa. transparent",
  "24.172.in-addr.arpa. transparent", "25.172.in-addr.arpa. transparent", "26.172.in-addr.arpa. transparent",
  "27.172.in-addr.arpa. transparent", "28.172.in-addr.arpa. transparent", "29.172.in-addr.arpa. transparent",
  "30.172.in-addr.arpa. transparent", "31.172.in-addr.arpa. transparent", "168.192.in-addr.arpa. transparent",
  "254.169.in-addr.arpa. transparent", "2.0.192.in-addr.arpa. transparent", "100.51.198.in-addr.arpa. transparent",
  "113.0.203.in-addr.arpa. transparent", "d.f.ip6.arpa. transparent", "8.e.f.ip6.arpa. transparent",
  "9.e.f.ip6.arpa. transparent", "a.e.f.ip6.arpa. transparent", "b.e.f.ip6.arpa. transparent",
  "8.b.d.0.1.0.0.2.ip6.arpa. transparent",
  "127.in-addr.arpa. transparent",
} ;

 /* 127.0.0.1 keeps the answer unbound's default zone gives it (the
    forwarder need not know "localhost"); the rest of 127/8 is the
    forwarder's, like the private ranges above. */
static char const *const kept_local_data[] =
{
  "1.0.0.127.in-addr.arpa. PTR localhost.",
} ;

static int set_forwarders (struct ub_ctx *ctx, char const *list)
{
  unsigned int n = 0 ;
  while (*list)
  {
    char item[RESOLVER_ITEM_MAX + 1] ;
    size_t len = 0 ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    while (list[len] && list[len] != ',' && list[len] != ' ') len++ ;
    if (len > RESOLVER_ITEM_MAX) return (errno = EINVAL, 0) ;
    memcpy(item, list, len) ;
    item[len] = 0 ;
    list += len ;
    if (ub_ctx_set_fwd(ctx, item)) return (errno = EINVAL, 0) ;
    n++ ;
  }
  if (!n) return (errno = EINVAL, 0) ;
   /* unbound answers "test." itself (RFC 6761 default empty zone) and,
      empty, the reverse zones of private, link-local and documentation
      space (its default local zones, RFC 6303), and 127/8 but for
      127.0.0.1: the forwarder we were pointed at is the one that knows
      them (a PTR for a client in 192.168/16 for SPF's "ptr" or FCrDNS,
      a test zone, a test client on 127.0.0.2). */
  for (unsigned int i = 0 ; i < sizeof(forwarded_zones) / sizeof(forwarded_zones[0]) ; i++)
    if (ub_ctx_set_option(ctx, "local-zone:", forwarded_zones[i])) return (errno = EIO, 0) ;
  for (unsigned int i = 0 ; i < sizeof(kept_local_data) / sizeof(kept_local_data[0]) ; i++)
    if (ub_ctx_set_option(ctx, "local-data:", kept_local_data[i])) return (errno = EIO, 0) ;
  return 1 ;
}

int dns_init (dns *d)
{
  struct ub_ctx *ctx = ub_ctx_create() ;
  char const *fwd = config_get("PH_DNS_RESOLVER") ;
  char const *ta = config_get("PH_DNS_TRUST_ANCHOR") ;
  if (!ctx) return (errno = ENOMEM, 0) ;
   /* a resolver thread: answers arrive on ub_fd() for our iopause */
  if (ub_ctx_async(ctx, 1)) goto eio ;
  if (fwd)
  {
    if (!set_forwarders(ctx, fwd)) goto err ;
  }
  else
  {
     /* no resolv.conf, or no nameserver in it: libunbound recurses
        from the root hints itself, which is a working default */
    ub_ctx_resolvconf(ctx, 0) ;
  }
  if (ta && ub_ctx_add_ta_file(ctx, ta)) goto eio ;
  d->ctx = ctx ;
  return 1 ;
 eio:
  errno = EIO ;
 err:
  {
    int e = errno ;
    ub_ctx_delete(ctx) ;
    errno = e ;
  }
  return 0 ;
}

void dns_free (dns *d)
{
  if (d->ctx) ub_ctx_delete((struct ub_ctx *)d->ctx) ;
  d->ctx = 0 ;
}

static void store (dns_query *q, struct ub_result *r)
{
  q->ttl = r->ttl > 0 ? (uint32_t)r->ttl : 0 ;
  q->secure = r->secure && !r->bogus ;
  if (r->bogus) { q->status = DNS_BOGUS ; q->why = "DNSSEC validation failed" ; return ; }
  if (r->nxdomain || r->rcode == 3) { q->status = DNS_NXDOMAIN ; return ; }
  if (r->rcode) { q->status = DNS_TEMPFAIL ; q->why = r->rcode == 2 ? "SERVFAIL" : r->rcode == 5 ? "REFUSED" : "DNS error" ; return ; }
  if (!r->havedata || !r->data || !r->data[0]) { q->status = DNS_NODATA ; return ; }
  for (unsigned int i = 0 ; r->data[i] ; i++)
  {
    char hdr[2] ;
    if (r->len[i] < 0 || r->len[i] > 65535 || q->data.len + 2 + (size_t)r->len[i] > DNS_ANSWER_MAX)
    {
      q->status = DNS_TEMPFAIL ;
      q->why = "answer too large" ;
      return ;
    }
    uint16_pack_big(hdr, (uint16_t)r->len[i]) ;
    if (!stralloc_catb(&q->data, hdr, 2) || !stralloc_catb(&q->data, r->data[i], r->len[i]))
    {
      q->status = DNS_TEMPFAIL ;
      q->why = "out of memory" ;
      return ;
    }
    q->n++ ;
  }
  q->status = DNS_OK ;
}

static void callback (void *data, int err, struct ub_result *r)
{
  dns_query *q = data ;
  q->running = 0 ;
  if (err || !r)
  {
    q->status = DNS_TEMPFAIL ;
    q->why = ub_strerror(err) ;
  }
  else store(q, r) ;
  if (r) ub_resolve_free(r) ;
}

static void cancel_all (struct ub_ctx *ctx, dns_query *q, unsigned int n, int status)
{
  for (unsigned int i = 0 ; i < n ; i++) if (q[i].running)
  {
    ub_cancel(ctx, q[i].async_id) ;
    q[i].running = 0 ;
    q[i].status = status ;
    if (status == DNS_TEMPFAIL) q[i].why = "resolver error" ;
  }
}

int dns_run (dns *d, dns_query *q, unsigned int n, tain const *deadline)
{
  struct ub_ctx *ctx = d->ctx ;
  unsigned int pending = 0 ;
  iopause_fd x = { .fd = ub_fd(ctx), .events = IOPAUSE_READ } ;
  if (x.fd < 0) return (errno = EIO, 0) ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    q[i].status = DNS_PENDING ;
    q[i].n = 0 ;
    q[i].data.len = 0 ;
    q[i].secure = 0 ;
    q[i].why = 0 ;
    if (strlen(q[i].name) > DNS_NAME_MAX) { q[i].status = DNS_NXDOMAIN ; continue ; }
    q[i].running = 1 ;
    if (ub_resolve_async(ctx, q[i].name, q[i].type, 1, &q[i], &callback, &q[i].async_id))
    {
      q[i].running = 0 ;
      q[i].status = DNS_TEMPFAIL ;
      q[i].why = "resolver refused the query" ;
    }
  }
  for (;;)
  {
    int r ;
    pending = 0 ;
    for (unsigned int i = 0 ; i < n ; i++) pending += q[i].running ;
    if (!pending) return 1 ;
    x.revents = 0 ;
    r = iopause_g(&x, 1, deadline) ;
    if (r < 0)
    {
      int e = errno ;
      cancel_all(ctx, q, n, DNS_TEMPFAIL) ;
      return (errno = e, 0) ;
    }
    if (!r) { cancel_all(ctx, q, n, DNS_TIMEOUT) ; return 1 ; }
    if (ub_process(ctx))
    {
      cancel_all(ctx, q, n, DNS_TEMPFAIL) ;
      return (errno = EIO, 0) ;
    }
  }
}

#endif

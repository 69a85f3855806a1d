/* ISC license. */

#include <string.h>

#include <skalibs/ip46.h>
#include <skalibs/random.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "remote_resolve.h"

 /* RFC 5321 5.1: MX records in preference order, equal preferences in
    random order; no MX record (NODATA) makes the domain its own MX with
    preference 0 (the implicit MX); RFC 7505: an MX of "." ("null MX")
    says the domain takes no mail at all. Each MX host's AAAA and A
    records are looked up at once, all under the same deadline. */

#define MX_RECORDS 64

typedef struct mxhost_s mxhost ;
struct mxhost_s
{
  char name[DNS_NAME_MAX + 1] ;
  uint16_t pref ;
} ;

static void say (char *why, size_t max, char const *a, char const *b, char const *c, char const *d)
{
  char const *part[4] = { a, b, c, d } ;
  size_t w = 0 ;
  for (unsigned int i = 0 ; i < 4 ; i++)
  {
    char const *s = part[i] ;
    if (!s) continue ;
    while (*s && w + 1 < max) why[w++] = *s++ ;
  }
  if (max) why[w] = 0 ;
}

static char const *failure (dns_query const *q)
{
  if (q->status == DNS_TIMEOUT) return "timeout" ;
  if (q->status == DNS_BOGUS) return "DNSSEC validation failed" ;
  return q->why ? q->why : dns_status_str(q->status) ;
}

static int temporary (int status)
{
  return status == DNS_TEMPFAIL || status == DNS_TIMEOUT || status == DNS_BOGUS || status == DNS_PENDING ;
}

static void sort_and_shuffle (mxhost *h, unsigned int n)
{
  for (unsigned int i = 1 ; i < n ; i++)
  {
    mxhost x = h[i] ;
    unsigned int j = i ;
    for (; j && h[j - 1].pref > x.pref ; j--) h[j] = h[j - 1] ;
    h[j] = x ;
  }
  for (unsigned int i = 0 ; i < n ; )
  {
    unsigned int j = i + 1 ;
    while (j < n && h[j].pref == h[i].pref) j++ ;
    for (unsigned int k = j - i ; k > 1 ; k--)
    {
      unsigned int r = random_uint32(k) ;
      mxhost t = h[i + k - 1] ;
      h[i + k - 1] = h[i + r] ;
      h[i + r] = t ;
    }
    i = j ;
  }
}

 /* 1 with hosts, 0 temporary, -1 permanent (why set). */
static int mx_lookup (dns *d, remote_route const *r, mxhost *hosts, unsigned int *nh, tain const *deadline, char *why, size_t max)
{
  static mxhost all[MX_RECORDS] ;
  dns_query q ;
  unsigned int n = 0, nulls = 0, bad = 0 ;
  int ret = 1 ;
  dns_query_init(&q, r->host, DNS_T_MX) ;
  if (!dns_run(d, &q, 1, deadline))
  {
    say(why, max, "4.4.3 DNS lookup of the MX records of ", r->host, " failed: resolver error", 0) ;
    dns_query_free(&q) ;
    return 0 ;
  }
  switch (q.status)
  {
    case DNS_OK :
    {
      size_t pos = 0 ;
      char const *rdata ;
      size_t len ;
      while (dns_record_next(&q, &pos, &rdata, &len))
      {
        if (n >= MX_RECORDS) break ;
        if (!dns_mx_unpack(rdata, len, &all[n].pref, all[n].name)) { bad++ ; continue ; }
        if (!all[n].name[0]) { nulls++ ; continue ; }
        n++ ;
      }
      if (!n && nulls)
      {
        say(why, max, "5.1.10 ", r->host, " accepts no mail (null MX, RFC 7505)", 0) ;
        ret = -1 ;
      }
      else if (!n)
      {
        say(why, max, "4.4.3 malformed MX records for ", r->host, 0, 0) ;
        ret = 0 ;
      }
      else
      {
        sort_and_shuffle(all, n) ;
        if (n > REMOTE_MX_MAX) n = REMOTE_MX_MAX ;
        memcpy(hosts, all, n * sizeof(mxhost)) ;
        *nh = n ;
      }
      (void)bad ;
      break ;
    }
    case DNS_NODATA :
      memcpy(hosts[0].name, r->host, strlen(r->host) + 1) ;
      hosts[0].pref = 0 ;
      *nh = 1 ;
      break ;
    case DNS_NXDOMAIN :
      if (r->relay)
      {
        say(why, max, "4.4.3 relay host ", r->host, ": domain not found", 0) ;
        ret = 0 ;
      }
      else
      {
        say(why, max, "5.1.2 domain ", r->host, " does not exist (DNS NXDOMAIN)", 0) ;
        ret = -1 ;
      }
      break ;
    default :
      say(why, max, "4.4.3 DNS lookup of the MX records of ", r->host, " failed: ", failure(&q)) ;
      ret = 0 ;
      break ;
  }
  dns_query_free(&q) ;
  return ret ;
}

static int seen (remote_addr const *addr, unsigned int n, ip46 const *ip)
{
  for (unsigned int i = 0 ; i < n ; i++)
    if (ip46_is6(&addr[i].ip) == ip46_is6(ip) && !memcmp(addr[i].ip.ip, ip->ip, ip46_is6(ip) ? 16 : 4)) return 1 ;
  return 0 ;
}

int remote_resolve (dns *d, remote_conf const *c, remote_route const *r, remote_addr *addr, unsigned int *n, char *why, size_t max)
{
  static mxhost hosts[REMOTE_MX_MAX] ;
  dns_query q[2 * REMOTE_MX_MAX] ;
  unsigned int nh = 0, nq = 0 ;
  uint16_t port = r->port ? r->port : c->port ;
  int temp = -1 ;   /* index of a query that failed temporarily */
  tain deadline ;
  *n = 0 ;
  if (r->literal)
  {
    memcpy(addr[0].host, r->host, strlen(r->host) + 1) ;
    addr[0].ip = r->ip ;
    addr[0].port = port ;
    *n = 1 ;
    return 1 ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, c->t_dns) ;
  if (r->mx)
  {
    int k = mx_lookup(d, r, hosts, &nh, &deadline, why, max) ;
    if (k <= 0) return k ;
  }
  else
  {
    memcpy(hosts[0].name, r->host, strlen(r->host) + 1) ;
    hosts[0].pref = 0 ;
    nh = 1 ;
  }

   /* IPv6 first for each host (RFC 6724's default preference), then
      IPv4; hosts in MX order. */
  for (unsigned int i = 0 ; i < nh ; i++)
  {
    if (c->inet & REMOTE_INET_IPV6) dns_query_init(&q[nq++], hosts[i].name, DNS_T_AAAA) ;
    if (c->inet & REMOTE_INET_IPV4) dns_query_init(&q[nq++], hosts[i].name, DNS_T_A) ;
  }
  if (!dns_run(d, q, nq, &deadline))
  {
    for (unsigned int i = 0 ; i < nq ; i++) dns_query_free(&q[i]) ;
    say(why, max, "4.4.3 DNS lookup of the addresses of ", r->host, " failed: resolver error", 0) ;
    return 0 ;
  }
  for (unsigned int i = 0 ; i < nq ; i++)
  {
    size_t pos = 0 ;
    char const *rdata ;
    size_t len ;
    if (temporary(q[i].status) && temp < 0) temp = (int)i ;
    while (*n < REMOTE_ADDR_MAX && dns_record_next(&q[i], &pos, &rdata, &len))
    {
      ip46 ip ;
      if (q[i].type == DNS_T_A && len == 4) ip46_from_ip4(&ip, rdata) ;
      else if (q[i].type == DNS_T_AAAA && len == 16) ip46_from_ip6(&ip, rdata) ;
      else continue ;
      if (seen(addr, *n, &ip)) continue ;
      memcpy(addr[*n].host, q[i].name, strlen(q[i].name) + 1) ;
      addr[*n].ip = ip ;
      addr[*n].port = port ;
      (*n)++ ;
    }
  }
  if (!*n)
  {
    if (temp >= 0)
      say(why, max, "4.4.3 DNS lookup of ", q[temp].name, " failed: ", failure(&q[temp])) ;
    else if (r->relay)
      say(why, max, "4.4.3 relay host ", r->host, " has no address", 0) ;
    else if (r->mx && (nh > 1 || strcmp(hosts[0].name, r->host)))
      say(why, max, "5.4.4 the MX hosts of ", r->host, " have no address", 0) ;
    else
      say(why, max, "5.4.4 no MX and no address record for ", r->host, 0, 0) ;
  }
  for (unsigned int i = 0 ; i < nq ; i++) dns_query_free(&q[i]) ;
  if (*n) return 1 ;
  return temp >= 0 || r->relay ? 0 : -1 ;
}

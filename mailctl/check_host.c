/* ISC license. */

/* mailctl check: the host's own names. Receivers look at the client's
 * address first: a PTR that names the host, and that name resolving
 * back to the same address (forward-confirmed reverse DNS; RFC 8601
 * §2.7.3 "iprev"), else many refuse or score the mail as spam. */

#include <string.h>

#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>
#include <skalibs/types.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/dns.h"
#include "check.h"

int check_ask (mccheck *c, dns_query *q, char const *name, uint16_t type)
{
  tain deadline ;
  dns_query_init(q, name, type) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, CHECK_DNS_SECONDS) ;
  if (!dns_run(&c->resolver, q, 1, &deadline)) strerr_diefu2sys(111, "ask the resolver about ", name) ;
  return q->status ;
}

int check_ip_in (ip46full const *ip, ip46full const *list, unsigned int n)
{
  for (unsigned int i = 0 ; i < n ; i++)
    if (list[i].is6 == ip->is6 && !memcmp(list[i].ip, ip->ip, ip->is6 ? 16 : 4)) return 1 ;
  return 0 ;
}

int check_addresses (mccheck *c, char const *name, ip46full *out, unsigned int max)
{
  static uint16_t const types[2] = { DNS_T_A, DNS_T_AAAA } ;
  unsigned int n = 0 ;
  for (unsigned int t = 0 ; t < 2 ; t++)
  {
    dns_query q = DNS_QUERY_ZERO ;
    size_t pos = 0 ;
    char const *rd ;
    size_t len ;
    int st = check_ask(c, &q, name, types[t]) ;
    if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN)
    {
      check_temporary(c, "the addresses", name, st) ;
      dns_query_free(&q) ;
      return -1 ;
    }
    while (n < max && dns_record_next(&q, &pos, &rd, &len))
    {
      if (len != (t ? 16u : 4u)) continue ;
      if (t) ip46full_from_ip6(out + n, rd) ; else ip46full_from_ip4(out + n, rd) ;
      n++ ;
    }
    dns_query_free(&q) ;
  }
  return (int)n ;
}

/* d.c.b.a.in-addr.arpa (RFC 1035 §3.5) or the 32 nibbles of ip6.arpa
 * (RFC 3596 §2.5). */
static void reverse_name (ip46full const *ip, char *s)
{
  static char const hex[] = "0123456789abcdef" ;
  size_t w = 0 ;
  if (ip->is6)
  {
    for (int i = 15 ; i >= 0 ; i--)
    {
      unsigned char b = (unsigned char)ip->ip[i] ;
      s[w++] = hex[b & 15] ; s[w++] = '.' ;
      s[w++] = hex[b >> 4] ; s[w++] = '.' ;
    }
    memcpy(s + w, "ip6.arpa", 9) ;
  }
  else
  {
    for (int i = 3 ; i >= 0 ; i--)
    {
      w += uint_fmt(s + w, (unsigned char)ip->ip[i]) ;
      s[w++] = '.' ;
    }
    memcpy(s + w, "in-addr.arpa", 13) ;
  }
}

static void check_reverse (mccheck *c, ip46full const *ip)
{
  char fmt[IP6_FMT] ;
  char rname[80] ;
  char ptr[DNS_NAME_MAX + 1] ;
  dns_query q = DNS_QUERY_ZERO ;
  size_t pos = 0, len ;
  char const *rd ;
  int st, found = 0, named = 0 ;
  fmt[ip46full_fmt(fmt, ip)] = 0 ;
  reverse_name(ip, rname) ;
  st = check_ask(c, &q, rname, DNS_T_PTR) ;
  if (st == DNS_NODATA || st == DNS_NXDOMAIN)
  {
    check_say(c, "The address ", fmt, " has no PTR record (reverse DNS): publish one naming ", c->host, ".") ;
    goto end ;
  }
  if (st != DNS_OK) { check_temporary(c, "the reverse DNS", rname, st) ; goto end ; }
  ptr[0] = 0 ;
  while (dns_record_next(&q, &pos, &rd, &len))
  {
    char name[DNS_NAME_MAX + 1] ;
    if (!dns_name_unpack(rd, len, 0, name)) continue ;
    if (!found) memcpy(ptr, name, strlen(name) + 1) ;
    found = 1 ;
    if (!strcmp(name, c->host)) named = 1 ;
  }
  if (!found)
  {
    check_say(c, "The PTR record of ", fmt, " does not hold a host name: it should name ", c->host, ".") ;
    goto end ;
  }
  if (!named)
  {
    check_say(c, "The PTR record of ", fmt, " names ", ptr, ", not the host name ", c->host, ".") ;
    goto end ;
  }
  {
    ip46full back[CHECK_ADDR_MAX] ;
    int n = check_addresses(c, c->host, back, CHECK_ADDR_MAX) ;
    if (n >= 0 && !check_ip_in(ip, back, (unsigned int)n))
      check_say(c, "The host name ", c->host, " (the PTR of ", fmt, ") does not resolve back to ", fmt, ": forward-confirmed reverse DNS fails.") ;
  }
 end:
  dns_query_free(&q) ;
}

void check_host (mccheck *c)
{
  ip46full fwd[CHECK_ADDR_MAX] ;
  int n = check_addresses(c, c->host, fwd, CHECK_ADDR_MAX) ;
  if (n == 0)
    check_say(c, "The host name ", c->host, " has no A or AAAA record.") ;
  else if (n > 0)
  {
    for (unsigned int i = 0 ; i < c->nip ; i++)
      if (!check_ip_in(c->ip + i, fwd, (unsigned int)n))
      {
        char fmt[IP6_FMT] ;
        fmt[ip46full_fmt(fmt, c->ip + i)] = 0 ;
        check_say(c, "The host name ", c->host, " does not resolve to the server's address ", fmt, " (PH_PUBLIC_IP).") ;
      }
  }
  for (unsigned int i = 0 ; i < c->nip ; i++) check_reverse(c, c->ip + i) ;
}

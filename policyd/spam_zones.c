/* ISC license. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/fmtscan.h>
#include <skalibs/uint32.h>

#include "spam.h"

/* DNS-based lists, RFC 5782. A list is a zone; an IPv4 client a.b.c.d
 * is looked up as d.c.b.a.<zone> (§2.1), an IPv6 one as its 32 nibbles
 * in reverse (§2.4), a domain as <domain>.<zone> (§2.3). A listing is
 * an A record; by convention it lies in 127.0.0.0/8 (§2.1: 127.0.0.2
 * answers the test entry), and a list may tell reasons apart by the
 * last octets, which "=code;code" selects (as Postfix's
 * postscreen_dnsbl_sites does, without its ranges). An answer outside
 * 127/8 is no listing (a resolver that hijacks NXDOMAIN answers with
 * its own address), nor is 127.255.255.0/24, which Spamhaus uses to
 * say "query refused" (public resolver, over the limit), nor an address
 * ending in .255, which dnswl.org answers for the same reason. */

static int is_sep (char c)
{
  return c == ',' || c == ' ' || c == '\t' || c == '\n' ;
}

static int valid_zone (char const *s, size_t n)
{
  size_t label = 0 ;
  if (!n || n > DNS_NAME_MAX - 64) return 0 ;   /* room for a reversed IPv6 address */
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c == '.')
    {
      if (!label) return 0 ;
      label = 0 ;
      continue ;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
    if (++label > 63) return 0 ;
  }
  return label > 0 ;
}

static int parse_score (char const *s, size_t n, double *out)
{
  char buf[32] ;
  char *end ;
  if (!n || n >= sizeof(buf)) return 0 ;
  memcpy(buf, s, n) ;
  buf[n] = 0 ;
  if (!((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-' || buf[0] == '+' || buf[0] == '.')) return 0 ;
  *out = strtod(buf, &end) ;
  return *end == 0 && *out > -1000 && *out < 1000 ;
}

static int parse_item (char const *s, size_t n, spam_zone *z)
{
  size_t namelen = 0 ;
  size_t keep ;
  while (namelen < n && s[namelen] != '=' && s[namelen] != '*') namelen++ ;
  keep = namelen && s[namelen - 1] == '.' ? namelen - 1 : namelen ;   /* an absolute name's final dot */
  if (!valid_zone(s, keep)) return 0 ;
  memcpy(z->name, s, keep) ;
  z->name[keep] = 0 ;
  for (size_t i = 0 ; i < keep ; i++) if (z->name[i] >= 'A' && z->name[i] <= 'Z') z->name[i] += 32 ;
  z->ncodes = 0 ;
  z->has_score = 0 ;
  z->score = 0 ;
  s += namelen ; n -= namelen ;
  if (n && *s == '=')
  {
    s++ ; n-- ;
    for (;;)
    {
      char ip[4] ;
      char tmp[16] ;
      size_t l = 0, k ;
      while (l < n && s[l] != ';' && s[l] != '*') l++ ;
      if (!l || l >= sizeof(tmp) || z->ncodes >= SPAM_ZONE_CODES_MAX) return 0 ;
      memcpy(tmp, s, l) ;
      tmp[l] = 0 ;
      k = ip4_scan(tmp, ip) ;
      if (k != l) return 0 ;
      uint32_unpack_big(ip, &z->codes[z->ncodes++]) ;
      s += l ; n -= l ;
      if (n && *s == ';') { s++ ; n-- ; continue ; }
      break ;
    }
  }
  if (n && *s == '*')
  {
    if (!parse_score(s + 1, n - 1, &z->score)) return 0 ;
    z->has_score = 1 ;
    n = 0 ;
  }
  return !n ;
}

int spam_zones_parse (char const *list, spam_zone *zones, unsigned int max, unsigned int *n)
{
  size_t len = list ? strlen(list) : 0, i = 0 ;
  *n = 0 ;
  while (i < len)
  {
    size_t start ;
    while (i < len && is_sep(list[i])) i++ ;
    if (i >= len) break ;
    start = i ;
    while (i < len && !is_sep(list[i])) i++ ;
    if (*n >= max || !parse_item(list + start, i - start, &zones[*n])) return (errno = EINVAL, 0) ;
    (*n)++ ;
  }
  return 1 ;
}

static size_t append (char *out, size_t n, char const *s)
{
  size_t l = strlen(s) ;
  if (n + l > DNS_NAME_MAX) return 0 ;
  memcpy(out + n, s, l + 1) ;
  return n + l ;
}

int spam_ip_parse (char const *ip, char *a)
{
  static char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (char)0xff, (char)0xff } ;
  if (inet_pton(AF_INET, ip, a) == 1) return 4 ;
  if (inet_pton(AF_INET6, ip, a) != 1) return 0 ;
  if (memcmp(a, mapped, 12)) return 16 ;
  memmove(a, a + 12, 4) ;   /* an IPv4 client seen through an IPv6 socket */
  return 4 ;
}

size_t spam_dnsbl_name (char *out, char const *ip, char const *zone)
{
  char a[16] ;
  size_t n = 0 ;
  int len = spam_ip_parse(ip, a) ;
  if (len == 4)
  {
    for (int i = 3 ; i >= 0 ; i--)
    {
      n += uint32_fmt(out + n, (unsigned char)a[i]) ;
      out[n++] = '.' ;
    }
  }
  else if (len == 16)
  {
    static char const hex[] = "0123456789abcdef" ;
    for (int i = 15 ; i >= 0 ; i--)
    {
      out[n++] = hex[(unsigned char)a[i] & 15] ;
      out[n++] = '.' ;
      out[n++] = hex[(unsigned char)a[i] >> 4] ;
      out[n++] = '.' ;
    }
  }
  else return 0 ;
  out[n] = 0 ;
  return append(out, n, zone) ;
}

size_t spam_uribl_name (char *out, char const *domain, char const *zone)
{
  size_t n = strlen(domain) ;
  if (!n || n + 1 > DNS_NAME_MAX) return 0 ;
  memcpy(out, domain, n) ;
  out[n++] = '.' ;
  out[n] = 0 ;
  return append(out, n, zone) ;
}

int spam_zone_listed (spam_zone const *z, dns_query const *q, char *code)
{
  size_t pos = 0, len ;
  char const *rd ;
  if (q->status != DNS_OK) return 0 ;
  while (dns_record_next(q, &pos, &rd, &len))
  {
    uint32_t v ;
    int ok = 0 ;
    if (len != 4) continue ;
    uint32_unpack_big(rd, &v) ;
    if (z->ncodes)
    {
      for (unsigned int i = 0 ; i < z->ncodes ; i++) if (z->codes[i] == v) ok = 1 ;
    }
    else ok = (v >> 24) == 127 && (v >> 8) != 0x7fffff && (v & 0xff) != 0xff ;
    if (ok)
    {
      code[ip4_fmt(code, rd)] = 0 ;
      return 1 ;
    }
  }
  return 0 ;
}

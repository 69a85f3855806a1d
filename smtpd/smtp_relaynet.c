/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <skalibs/fmtscan.h>
#include <skalibs/types.h>

#include "smtp_relaynet.h"

static inline int issep (char c)
{
  return c == ',' || c == ' ' || c == '\t' || c == '\n' ;
}

static void maskbits (char *ip, unsigned int bytes, unsigned int bits)
{
  for (unsigned int i = 0 ; i < bytes ; i++)
  {
    unsigned int keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0 ;
    ip[i] &= (char)(unsigned char)(0xff00u >> keep) ;
  }
}

/* Parses an address, v4 or v6, filling all of s[0..len). */
static int scan_addr (char const *s, size_t len, char *ip, int *is6)
{
  char tmp[64] ;
  if (!len || len >= sizeof(tmp)) return 0 ;
  memcpy(tmp, s, len) ;
  tmp[len] = 0 ;
  if (memchr(tmp, ':', len))
  {
    if (ip6_scan(tmp, ip) != len) return 0 ;
    *is6 = 1 ;
  }
  else
  {
    if (ip4_scan(tmp, ip) != len) return 0 ;
    *is6 = 0 ;
  }
  return 1 ;
}

int smtp_relaynets_parse (smtp_relaynets *r, char const *s, size_t *errpos)
{
  size_t i = 0 ;
  r->n = 0 ;
  if (!s) return 1 ;
  for (;;)
  {
    size_t start, slash, end ;
    smtp_relaynet *net ;
    int is6 ;
    while (s[i] && issep(s[i])) i++ ;
    if (!s[i]) break ;
    start = i ;
    while (s[i] && !issep(s[i])) i++ ;
    end = i ;
    if (r->n >= SMTP_RELAYNET_MAX) return (*errpos = start, errno = ENOBUFS, 0) ;
    net = r->nets + r->n ;
    for (slash = start ; slash < end && s[slash] != '/' ; slash++) ;
    if (!scan_addr(s + start, slash - start, net->ip, &is6)) return (*errpos = start, errno = EINVAL, 0) ;
    net->is6 = !!is6 ;
    if (slash < end)
    {
      unsigned int bits = 0 ;
      size_t k = slash + 1 ;
      if (k == end || end - k > 3) return (*errpos = start, errno = EINVAL, 0) ;
      for (; k < end ; k++)
      {
        if (s[k] < '0' || s[k] > '9') return (*errpos = start, errno = EINVAL, 0) ;
        bits = bits * 10 + (unsigned int)(s[k] - '0') ;
      }
      if (bits > (is6 ? 128u : 32u)) return (*errpos = start, errno = EINVAL, 0) ;
      net->bits = bits ;
    }
    else net->bits = is6 ? 128 : 32 ;
    maskbits(net->ip, is6 ? 16 : 4, net->bits) ;
    r->n++ ;
  }
  return 1 ;
}

int smtp_relaynets_add (smtp_relaynets *r, char const *ip, int is6, unsigned int bits)
{
  smtp_relaynet *net ;
  unsigned int max = is6 ? 128 : 32 ;
  if (r->n >= SMTP_RELAYNET_MAX) return (errno = ENOBUFS, 0) ;
  net = r->nets + r->n ;
  memset(net->ip, 0, sizeof(net->ip)) ;
  memcpy(net->ip, ip, is6 ? 16 : 4) ;
  net->is6 = !!is6 ;
  net->bits = bits > max ? max : bits ;
  maskbits(net->ip, is6 ? 16 : 4, net->bits) ;
  r->n++ ;
  return 1 ;
}

static int inside (smtp_relaynet const *net, char const *ip)
{
  char masked[16] ;
  unsigned int bytes = net->is6 ? 16 : 4 ;
  memcpy(masked, ip, bytes) ;
  maskbits(masked, bytes, net->bits) ;
  return !memcmp(masked, net->ip, bytes) ;
}

int smtp_relaynets_match (smtp_relaynets const *r, char const *ipstr)
{
  static char const v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (char)0xff, (char)0xff } ;
  char ip[16] ;
  int is6 ;
  int mapped = 0 ;
  if (!ipstr) return 0 ;
  if (!strncasecmp(ipstr, "::ffff:", 7) && strchr(ipstr + 7, '.'))
  {
    /* the dotted form of a mapped address, which ip6_scan does not read */
    if (!scan_addr(ipstr + 7, strlen(ipstr + 7), ip + 12, &is6) || is6) return 0 ;
    memcpy(ip, v4mapped, 12) ;
    is6 = 1 ;
  }
  else if (!scan_addr(ipstr, strlen(ipstr), ip, &is6)) return 0 ;
  if (is6 && !memcmp(ip, v4mapped, 12)) mapped = 1 ;
  for (unsigned int i = 0 ; i < r->n ; i++)
  {
    smtp_relaynet const *net = r->nets + i ;
    if (net->is6 == !!is6 && inside(net, ip)) return 1 ;
    if (mapped && !net->is6 && inside(net, ip + 12)) return 1 ;
  }
  return 0 ;
}

/* ISC license. */

#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>
#include <skalibs/types.h>

#include "common/accessrules.h"
#include "banwatch.h"

static void mask (char *ip, unsigned int bytes, unsigned int bits)
{
  for (unsigned int i = 0 ; i < bytes ; i++)
  {
    unsigned int keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0 ;
    ip[i] &= (char)(unsigned char)(0xff00u >> keep) ;
  }
}

static int is_v4mapped (char const *ip)
{
  static char const prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (char)0xff, (char)0xff } ;
  return !memcmp(ip, prefix, 12) ;
}

/* The whole string must be the address; an IPv4 address must read back
 * the same (skalibs takes octets modulo 256). */
int bw_addr_scan (char const *s, int allowbits, bw_addr *a)
{
  char tmp[64] ;
  size_t len = strlen(s) ;
  size_t slash = str_chr(s, '/') ;
  unsigned int bits = 0 ;
  int hasbits = 0 ;
  if (slash < len)
  {
    if (!allowbits || !uint0_scan(s + slash + 1, &bits)) return 0 ;
    hasbits = 1 ;
    len = slash ;
  }
  if (!len || len >= sizeof(tmp)) return 0 ;
  memcpy(tmp, s, len) ;
  tmp[len] = 0 ;
  memset(a->ip, 0, 16) ;
  if (memchr(tmp, ':', len))
  {
    if (ip6_scan(tmp, a->ip) != len) return 0 ;
    if (is_v4mapped(a->ip))
    {
      memmove(a->ip, a->ip + 12, 4) ;
      memset(a->ip + 4, 0, 12) ;
      a->is6 = 0 ;
      if (hasbits) { if (bits < 96) return 0 ; bits -= 96 ; }
    }
    else a->is6 = 1 ;
  }
  else
  {
    char back[IP4_FMT] ;
    if (ip4_scan(tmp, a->ip) != len) return 0 ;
    if (ip4_fmt(back, a->ip) != len || memcmp(back, tmp, len)) return 0 ;
    a->is6 = 0 ;
  }
  if (!hasbits) bits = a->is6 ? 64 : 32 ;
  if (bits > (a->is6 ? 128U : 32U)) return 0 ;
  a->bits = (uint8_t)bits ;
  mask(a->ip, a->is6 ? 16 : 4, bits) ;
  return 1 ;
}

int bw_addr_within (bw_addr const *a, bw_addr const *n)
{
  char tmp[16] ;
  if (a->is6 != n->is6 || a->bits < n->bits) return 0 ;
  memcpy(tmp, a->ip, 16) ;
  mask(tmp, a->is6 ? 16 : 4, n->bits) ;
  return !memcmp(tmp, n->ip, a->is6 ? 16 : 4) ;
}

int bw_addr_same (bw_addr const *a, bw_addr const *b)
{
  return a->is6 == b->is6 && a->bits == b->bits && !memcmp(a->ip, b->ip, a->is6 ? 16 : 4) ;
}

size_t bw_addr_key (char *s, bw_addr const *a)
{
  ip46 ip ;
  ip46_from_ip(&ip, a->ip, a->is6) ;
  return accessrules_key(s, &ip, a->bits) ;
}

int bw_addr_key_scan (char const *s, size_t len, bw_addr *a)
{
  char tmp[ACCESSRULES_KEY_MAX + 1] ;
  char back[ACCESSRULES_KEY_MAX] ;
  size_t under ;
  unsigned int bits ;
  if (len < 7 || len > ACCESSRULES_KEY_MAX) return 0 ;
  if (memcmp(s, "ip4/", 4) && memcmp(s, "ip6/", 4)) return 0 ;
  memcpy(tmp, s + 4, len - 4) ;
  tmp[len - 4] = 0 ;
  under = str_chr(tmp, '_') ;
  if (!tmp[under] || !uint0_scan(tmp + under + 1, &bits)) return 0 ;
  tmp[under] = 0 ;
  memset(a->ip, 0, 16) ;
  a->is6 = s[2] == '6' ;
  if (a->is6 ? ip6_scan(tmp, a->ip) != under : ip4_scan(tmp, a->ip) != under) return 0 ;
  if (bits > (a->is6 ? 128U : 32U)) return 0 ;
  a->bits = (uint8_t)bits ;
  /* only the canonical form: what bw_addr_key writes */
  return bw_addr_key(back, a) == len && !memcmp(back, s, len) ;
}

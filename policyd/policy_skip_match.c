/* ISC license. */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policyd.h"

/* Address blocks as in postfix-policyd-spf-python's skip_addresses:
 * "a.b.c.d[/n]" or "v6[/n]" separated by commas or spaces; an IPv4-mapped
 * IPv6 block (::ffff:a.b.c.d/n, n >= 96) is the IPv4 block it maps, as
 * the client address is compared as IPv4 then. "none" is no block. */

#define ITEM_MAX 64

static int parse_addr (char const *s, unsigned char *ip, unsigned int *bytes)
{
  static unsigned char const mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } ;
  if (inet_pton(AF_INET, s, ip) == 1) { *bytes = 4 ; return 1 ; }
  if (inet_pton(AF_INET6, s, ip) != 1) return 0 ;
  *bytes = 16 ;
  if (!memcmp(ip, mapped, 12)) { memmove(ip, ip + 12, 4) ; *bytes = 4 ; return 2 ; }
  return 1 ;
}

static int within (unsigned char const *a, unsigned char const *b, unsigned int bits)
{
  unsigned int full = bits >> 3, rest = bits & 7 ;
  if (memcmp(a, b, full)) return 0 ;
  return !rest || !((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest))) ;
}

int policy_skip_match (char const *list, char const *ip)
{
  unsigned char cip[16] ;
  unsigned int cbytes = 0 ;
  int match = 0, cok ;
  if (!list || !strcmp(list, "none")) return 0 ;
  cok = parse_addr(ip, cip, &cbytes) ;
  while (*list)
  {
    char item[ITEM_MAX + 1] ;
    unsigned char net[16] ;
    unsigned int bytes, bits ;
    size_t len = 0 ;
    char *slash ;
    int kind ;
    while (*list == ',' || *list == ' ') list++ ;
    if (!*list) break ;
    while (list[len] && list[len] != ',' && list[len] != ' ') len++ ;
    if (len > ITEM_MAX) return -1 ;
    memcpy(item, list, len) ;
    item[len] = 0 ;
    list += len ;
    slash = strchr(item, '/') ;
    if (slash) *slash = 0 ;
    kind = parse_addr(item, net, &bytes) ;
    if (!kind) return -1 ;
    bits = bytes * 8 ;
    if (kind == 2) bits = 128 ;
    if (slash)
    {
      char *end ;
      unsigned long v ;
      if (!slash[1] || slash[1] < '0' || slash[1] > '9') return -1 ;
      v = strtoul(slash + 1, &end, 10) ;
      if (*end || v > (kind == 2 ? 128 : bytes * 8)) return -1 ;
      bits = (unsigned int)v ;
    }
    if (kind == 2)
    {
      if (bits < 96) return -1 ;
      bits -= 96 ;
    }
    if (cok && bytes == cbytes && within(cip, net, bits)) match = 1 ;
  }
  return match ;
}

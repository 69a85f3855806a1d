/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/fmtscan.h>
#include <skalibs/ip46.h>
#include <skalibs/uint16.h>

#include "common/proxyproto.h"

static char const sig2[12] = { '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n' } ;

static ssize_t bad (void)
{
  errno = EPROTO ;
  return -1 ;
}

/* One space-terminated field of a v1 line, copied NUL-terminated */
static size_t field (char const *s, size_t len, char *out, size_t max)
{
  size_t n = 0 ;
  while (n < len && s[n] != ' ')
  {
    if (n + 1 >= max) return 0 ;
    out[n] = s[n] ;
    n++ ;
  }
  out[n] = 0 ;
  return n ;
}

static int port (char const *s, uint16_t *p)
{
  size_t n = strlen(s) ;
  unsigned int v = 0 ;
  if (!n || n > 5) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return 0 ;
    v = v * 10 + (unsigned int)(s[i] - '0') ;
  }
  if (v > 65535) return 0 ;
  *p = (uint16_t)v ;
  return 1 ;
}

/* The whole string must be the address; IPv4 must read back the same
 * (skalibs takes octets modulo 256). */
static int address (char const *s, int is6, ip46 *ip)
{
  char buf[16] ;
  size_t n = strlen(s) ;
  if (is6)
  {
    if (!memchr(s, ':', n) || ip6_scan(s, buf) != n) return 0 ;
  }
  else
  {
    char back[IP4_FMT] ;
    if (ip4_scan(s, buf) != n || ip4_fmt(back, buf) != n || memcmp(back, s, n)) return 0 ;
  }
  ip46_from_ip(ip, buf, is6) ;
  return 1 ;
}

static ssize_t parse_v1 (char const *s, size_t len, proxyproto_info *info)
{
  char const *end ;
  size_t linelen, i = 6 ;
  char proto[8], a[48], b[48], pa[8], pb[8] ;
  int is6 ;
  size_t n ;
  if (memcmp(s, "PROXY ", len < 6 ? len : 6)) return bad() ;
  end = memchr(s, '\n', len < PROXYPROTO_V1_MAX ? len : PROXYPROTO_V1_MAX) ;
  if (!end) return len < PROXYPROTO_V1_MAX ? 0 : bad() ;
  linelen = (size_t)(end - s) + 1 ;
  if (linelen < 8 || s[linelen - 2] != '\r') return bad() ;
  for (size_t j = 0 ; j < linelen - 2 ; j++) if ((unsigned char)s[j] < 32 || (unsigned char)s[j] > 126) return bad() ;
  len = linelen - 2 ;   /* the line without CRLF */
  info->version = 1 ;
  n = field(s + i, len - i, proto, sizeof(proto)) ;
  if (!n) return bad() ;
  i += n ;
  if (!strcmp(proto, "UNKNOWN"))
  {
    /* the rest of the line is to be ignored */
    info->local = 1 ;
    return (ssize_t)linelen ;
  }
  if (!strcmp(proto, "TCP4")) is6 = 0 ;
  else if (!strcmp(proto, "TCP6")) is6 = 1 ;
  else return bad() ;
  if (i >= len || s[i++] != ' ') return bad() ;
  if (!(n = field(s + i, len - i, a, sizeof(a)))) return bad() ;
  i += n ;
  if (i >= len || s[i++] != ' ') return bad() ;
  if (!(n = field(s + i, len - i, b, sizeof(b)))) return bad() ;
  i += n ;
  if (i >= len || s[i++] != ' ') return bad() ;
  if (!(n = field(s + i, len - i, pa, sizeof(pa)))) return bad() ;
  i += n ;
  if (i >= len || s[i++] != ' ') return bad() ;
  if (!(n = field(s + i, len - i, pb, sizeof(pb)))) return bad() ;
  i += n ;
  if (i != len) return bad() ;
  if (!address(a, is6, &info->src) || !address(b, is6, &info->dst)
   || !port(pa, &info->srcport) || !port(pb, &info->dstport)) return bad() ;
  info->local = 0 ;
  return (ssize_t)linelen ;
}

static ssize_t parse_v2 (char const *s, size_t len, proxyproto_info *info)
{
  uint16_t rest ;
  size_t total ;
  unsigned char vc, ft ;
  if (memcmp(s, sig2, len < 12 ? len : 12)) return bad() ;
  if (len < 16)
  {
    /* the version byte may already tell a bad header */
    if (len >= 13 && ((unsigned char)s[12] >> 4) != 2) return bad() ;
    return 0 ;
  }
  vc = (unsigned char)s[12] ;
  ft = (unsigned char)s[13] ;
  uint16_unpack_big(s + 14, &rest) ;
  total = 16 + (size_t)rest ;
  if ((vc >> 4) != 2 || (vc & 15) > 1 || total > PROXYPROTO_MAX) return bad() ;
  if (len < total) return 0 ;
  info->version = 2 ;
  if ((vc & 15) == 0 || ft == 0x00)
  {
    /* LOCAL (the proxy's own connection), or no address given */
    info->local = 1 ;
    return (ssize_t)total ;
  }
  if (ft == 0x11)
  {
    if (rest < 12) return bad() ;
    ip46_from_ip(&info->src, s + 16, 0) ;
    ip46_from_ip(&info->dst, s + 20, 0) ;
    uint16_unpack_big(s + 24, &info->srcport) ;
    uint16_unpack_big(s + 26, &info->dstport) ;
  }
  else if (ft == 0x21)
  {
    if (rest < 36) return bad() ;
    ip46_from_ip(&info->src, s + 16, 1) ;
    ip46_from_ip(&info->dst, s + 32, 1) ;
    uint16_unpack_big(s + 48, &info->srcport) ;
    uint16_unpack_big(s + 50, &info->dstport) ;
  }
  else return bad() ;  /* UDP, Unix sockets: not for a TCP service */
  info->local = 0 ;
  return (ssize_t)total ;
}

ssize_t proxyproto_parse (char const *s, size_t len, proxyproto_info *info)
{
  if (!len) return 0 ;
  if (s[0] == 'P') return parse_v1(s, len, info) ;
  if (s[0] == '\r') return parse_v2(s, len, info) ;
  return bad() ;
}

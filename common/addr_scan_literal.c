/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/addr-internal.h"

/* RFC 5321 4.1.2 / 4.1.3:
 *   address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 *                           General-address-literal ) "]"
 *   IPv6-address-literal    = "IPv6:" IPv6-addr
 *   General-address-literal = Standardized-tag ":" 1*dcontent
 *   Standardized-tag        = Ldh-str
 *   dcontent                = %d33-90 / %d94-126
 * "IPv6" is a registered tag, so "[IPv6:junk]" is refused rather than
 * taken as a general literal. RFC 6531 adds no UTF-8 here. */

static int is_letdig (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
}

static int general_valid (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && (is_letdig(s[i]) || s[i] == '-')) i++ ;
  if (!i || !is_letdig(s[i-1]) || i >= len || s[i] != ':') return 0 ;
  if (++i == len) return 0 ;
  for (; i < len ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 33 || c > 126 || (c >= 91 && c <= 93)) return 0 ;
  }
  return 1 ;
}

size_t addr_scan_literal (char const *s, size_t len, unsigned int flags)
{
  char const *close ;
  char const *in = s + 1 ;
  size_t n ;
  size_t i ;
  if (!len || s[0] != '[') return (errno = EINVAL, 0) ;
  close = memchr(s, ']', len) ;
  if (!close) return (errno = EINVAL, 0) ;
  n = close - in ;
  for (i = 0 ; i < n ; i++)
    if ((unsigned char)in[i] >= 0x80)
      return (errno = flags & ADDR_UTF8_OK ? EINVAL : EILSEQ, 0) ;
  if (n >= 5 && !strncasecmp(in, "IPv6:", 5))
  {
    if (!addr_ip6_valid(in + 5, n - 5)) return (errno = EINVAL, 0) ;
  }
  else if (!addr_ip4_valid(in, n) && !general_valid(in, n)) return (errno = EINVAL, 0) ;
  return n + 2 ;
}

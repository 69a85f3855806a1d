/* ISC license. */

#include <string.h>

#include "common/addr-internal.h"

/* RFC 5321 4.1.3:
 *   IPv6-full   = IPv6-hex 7(":" IPv6-hex)
 *   IPv6-comp   = [IPv6-hex *5(":" IPv6-hex)] "::" [IPv6-hex *5(":" IPv6-hex)]
 *                 ; at most 6 groups besides the "::"
 *   IPv6v4-full = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
 *   IPv6v4-comp = [IPv6-hex *3(":" IPv6-hex)] "::"
 *                 [IPv6-hex *3(":" IPv6-hex) ":"] IPv4-address-literal
 *                 ; at most 4 groups besides the "::" and the IPv4 part
 *   IPv6-hex    = 1*4HEXDIG
 * The "::" stands for at least two groups, hence the limits. */

static int is_hex (char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ;
}

/* Number of groups in "h(:h)*" (0 for the empty string), -1 if malformed. */
static int hex_groups (char const *s, size_t len)
{
  size_t i = 0 ;
  int groups = 0 ;
  if (!len) return 0 ;
  for (;;)
  {
    size_t start = i ;
    while (i < len && is_hex(s[i])) i++ ;
    if (i == start || i - start > 4) return -1 ;
    groups++ ;
    if (i == len) return groups ;
    if (s[i] != ':') return -1 ;
    i++ ;
  }
}

static char const *find_dcolon (char const *s, size_t len)
{
  size_t i = 1 ;
  for (; i < len ; i++) if (s[i-1] == ':' && s[i] == ':') return s + i - 1 ;
  return 0 ;
}

int addr_ip6_valid (char const *s, size_t len)
{
  char const *lastcolon = 0 ;
  char const *dc ;
  size_t end = len ;  /* the hex part, s[0..end) */
  int v4 = 0 ;
  int a, b ;
  {
    size_t i = len ;
    while (i--) if (s[i] == ':') { lastcolon = s + i ; break ; }
  }
  if (!lastcolon) return 0 ;
  if (memchr(lastcolon + 1, '.', s + len - lastcolon - 1))
  {
    if (!addr_ip4_valid(lastcolon + 1, s + len - lastcolon - 1)) return 0 ;
    v4 = 1 ;
    end = lastcolon + 1 - s ;  /* keeps the ':' before the IPv4 part */
  }
  dc = find_dcolon(s, end) ;
  if (!dc)
  {
    if (v4) return hex_groups(s, end - 1) == 6 ;
    return hex_groups(s, end) == 8 ;
  }
  if (find_dcolon(dc + 1, s + end - dc - 1)) return 0 ;
  a = hex_groups(s, dc - s) ;
  if (v4)
  {
    if (dc + 2 == s + end) b = 0 ;  /* "...::1.2.3.4" */
    else b = hex_groups(dc + 2, s + end - 1 - dc - 2) ;
    return a >= 0 && b >= 0 && a + b <= 4 ;
  }
  b = hex_groups(dc + 2, s + end - dc - 2) ;
  return a >= 0 && b >= 0 && a + b <= 6 ;
}

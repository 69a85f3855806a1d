/* ISC license. */

#include <errno.h>

#include "common/addr-internal.h"

/* RFC 5321 4.1.2:
 *   Domain     = sub-domain *("." sub-domain)
 *   sub-domain = Let-dig [Ldh-str]
 *   Ldh-str    = *( ALPHA / DIGIT / "-" ) Let-dig
 * so a label is letters, digits and inner hyphens. RFC 6531 3.3 adds
 * sub-domain =/ U-label; a U-label is taken here as let-dig, hyphen and
 * well-formed UTF-8 with the same hyphen rule (full IDNA2008 checks are
 * the resolver's business). An ASCII label is at most 63 octets (RFC 1035
 * 2.3.4), a limit that no DNS name can break; U-labels are not measured,
 * their A-label form being longer or shorter. */

#define LABEL_MAX 63

static int is_letdig (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
}

size_t addr_scan_domain (char const *s, size_t len, unsigned int flags)
{
  size_t i = 0 ;
  for (;;)
  {
    size_t start = i ;
    int ascii = 1 ;
    while (i < len)
    {
      unsigned char c = s[i] ;
      if (is_letdig(c) || c == '-') i++ ;
      else if (c >= 0x80)
      {
        size_t n = addr_utf8_at(s + i, len - i, flags) ;
        if (!n) return 0 ;
        i += n ;
        ascii = 0 ;
      }
      else break ;
    }
    if (i == start || s[start] == '-' || s[i-1] == '-') return (errno = EINVAL, 0) ;
    if (ascii && i - start > LABEL_MAX) return (errno = ENAMETOOLONG, 0) ;
    if (i < len && s[i] == '.') { i++ ; continue ; }
    return i ;
  }
}

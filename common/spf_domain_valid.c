/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* RFC 7208 §4.3: a malformed domain (a label over 63 octets, an empty
 * label not at the end) or one that is not multi-label gives "none"
 * before any lookup. Bytes must be printable ASCII: SPF names are
 * host names or A-labels (§4.3, RFC 5890). */

int spf_domain_valid (char const *s)
{
  size_t len = strlen(s), label = 0 ;
  unsigned int labels = 0 ;
  if (len && s[len - 1] == '.') len-- ;
  if (!len || len > DNS_NAME_MAX) return 0 ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    if (i == len || s[i] == '.')
    {
      if (!label || label > 63) return 0 ;
      labels++ ;
      label = 0 ;
    }
    else if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) return 0 ;
    else label++ ;
  }
  return labels >= 2 ;
}

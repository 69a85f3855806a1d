/* ISC license. */

#include "common/spf-internal.h"

/* A wire-format name from an MX or PTR rdata, for SPF. Wider than
 * dns_name_unpack (host names only): a domain-spec may name any label of
 * printable ASCII ("a:foo:bar/baz.example.com", RFC 7208 §7.1), and an
 * "mx" term on such a domain must find the MX host it names. A byte
 * outside 0x21-0x7e, a "." inside a label, a compression pointer, a name
 * running past the rdata or over DNS_NAME_MAX: refused (returns 0). */

size_t spf_name_unpack (char const *rdata, size_t len, size_t pos, char *out)
{
  size_t start = pos, n = 0 ;
  for (;;)
  {
    unsigned int l ;
    if (pos >= len) return 0 ;
    l = (unsigned char)rdata[pos++] ;
    if (!l) break ;
    if (l > 63 || l > len - pos) return 0 ;
    if (n + (n ? 1 : 0) + l > DNS_NAME_MAX) return 0 ;
    if (n) out[n++] = '.' ;
    for (unsigned int i = 0 ; i < l ; i++)
    {
      unsigned char ch = rdata[pos++] ;
      if (ch < 0x21 || ch > 0x7e || ch == '.') return 0 ;
      out[n++] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch ;
    }
  }
  out[n] = 0 ;
  return pos - start ;
}

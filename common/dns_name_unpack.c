/* ISC license. */

#include "common/dns.h"

 /* RFC 1035 3.1: length-prefixed labels ending with the empty label.
    Rdata names reach us uncompressed (libunbound expands them), so a
    compression pointer (top bits 11) is refused like any malformation.
    Only host-name bytes are accepted: the name goes into SMTP commands,
    logs and DSNs. */
static int hostbyte (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ;
}

size_t dns_name_unpack (char const *rdata, size_t len, size_t pos, char *out)
{
  size_t start = pos ;
  size_t w = 0 ;
  for (;;)
  {
    unsigned char l ;
    if (pos >= len) return 0 ;
    l = (unsigned char)rdata[pos++] ;
    if (!l) break ;
    if (l > 63) return 0 ;
    if (pos + l > len) return 0 ;
    if (w + (w ? 1 : 0) + l > DNS_NAME_MAX) return 0 ;
    if (w) out[w++] = '.' ;
    for (unsigned int i = 0 ; i < l ; i++)
    {
      unsigned char c = (unsigned char)rdata[pos + i] ;
      if (!hostbyte(c)) return 0 ;
      out[w++] = (c >= 'A' && c <= 'Z') ? c + 32 : c ;
    }
    pos += l ;
  }
  out[w] = 0 ;
  return pos - start ;
}

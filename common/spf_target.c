/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

/* A domain-spec expanded into a name to query (RFC 7208 §7.3): one
 * trailing dot removed, then labels dropped from the left until the
 * name fits in 253 characters. What remains must be a valid name
 * (§4.3: labels of 1 to 63 characters), else -1: the caller decides
 * what an unusable target means for its term. */

int spf_target (spf_ctx *c, char const *domain, char const *spec, size_t speclen, char *out)
{
  static char buf[SPF_EXPAND_MAX] ;
  size_t n, start = 0 ;
  if (!spf_expand(c, domain, spec, speclen, 0, buf, sizeof(buf), &n)) return 0 ;
  if (n && buf[n - 1] == '.') buf[--n] = 0 ;
  while (n - start > DNS_NAME_MAX)
  {
    char const *dot = memchr(buf + start, '.', n - start) ;
    if (!dot) return -1 ;
    start = (size_t)(dot - buf) + 1 ;
  }
  memcpy(out, buf + start, n - start + 1) ;
  if (!n || n == start) return -1 ;
  {
    size_t label = 0 ;
    for (size_t i = 0 ; out[i] ; i++)
    {
      if (out[i] == '.')
      {
        if (!label) return -1 ;
        label = 0 ;
      }
      else if (++label > 63) return -1 ;
    }
    if (!label) return -1 ;
  }
  return 1 ;
}

/* ISC license. */

/* The PROXY protocol header parser (common/proxyproto) under libFuzzer.
 * Besides not crashing, it must keep the property tcpd's reader relies
 * on to consume a header in pieces without ever eating the client's
 * bytes: on every prefix of the input the answer is either "not a
 * header" (-1), "all header so far, need more" (0, and then a complete
 * header, if any, is longer than the prefix), or the same length as on
 * the whole input. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "common/proxyproto.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  proxyproto_info info ;
  ssize_t full ;
  size_t max = size < 1200 ? size : 1200 ;
  char const *s = (char const *)data ;
  full = proxyproto_parse(s, size, &info) ;
  if (full > 0)
  {
    if ((size_t)full > size || (size_t)full > PROXYPROTO_MAX) __builtin_trap() ;
    if (info.version != 1 && info.version != 2) __builtin_trap() ;
  }
  for (size_t k = 0 ; k < max ; k++)
  {
    proxyproto_info part ;
    ssize_t r = proxyproto_parse(s, k, &part) ;
    if (r > 0 && r != full) __builtin_trap() ;
    if (!r && full > 0 && (size_t)full <= k) __builtin_trap() ;
    if (r < 0 && full >= 0) __builtin_trap() ;
  }
  return 0 ;
}

/* ISC license. */

/* libFuzzer harness for queued's reader of the delivery agents' replies
 * (queued/qreply.c): one verdict per recipient, R and X fields before
 * each. The first byte says how many recipients the request had (1-8). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queued/qreply.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  qverdict v[8] ;
  char const *s ;
  unsigned int n ;
  if (!size) return 0 ;
  n = 1 + data[0] % 8 ;
  s = (char const *)data + 1 ;
  size-- ;
  if (!qreply_parse(s, size, n, v)) return 0 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    size_t pos = 0, alen ;
    char const *a ;
    unsigned int adds = 0 ;
    if (v[k].kind != 'K' && v[k].kind != 'Z' && v[k].kind != 'D') __builtin_trap() ;
    if (v[k].text < s || v[k].text >= s + size) __builtin_trap() ;
    if (v[k].fields < s || v[k].fields + v[k].fieldslen > s + size) __builtin_trap() ;
    while ((a = qreply_next_add(v + k, &pos, &alen)))
    {
      if (a < s || a + alen >= s + size || !alen || alen != strlen(a)) __builtin_trap() ;
      adds++ ;
    }
    if (adds != v[k].nadds) __builtin_trap() ;
    if (v[k].remotemta && (v[k].remotemta < s || v[k].remotemta >= s + size)) __builtin_trap() ;
    if (v[k].diag && (v[k].diag < s || v[k].diag >= s + size)) __builtin_trap() ;
    if (v[k].action && (v[k].action < s || v[k].action >= s + size)) __builtin_trap() ;
  }
  return 0 ;
}

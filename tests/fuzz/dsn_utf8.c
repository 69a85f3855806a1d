/* ISC license. */

/* libFuzzer harness for the RFC 6533 "utf-8" address forms
 * (common/dsn_utf8.c): the encoder reads envelope addresses, the
 * decoder and the validator ORCPT values, all untrusted. The validator
 * and the decoder must agree on every input. Whatever the encoder accepts,
 * the decoder must read back to the same bytes, the xtext form must be
 * ASCII, and neither form may hold a byte a header line cannot. A
 * failure must leave the output as it was. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/dsn_utf8.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static stralloc enc = STRALLOC_ZERO ;
  static stralloc dec = STRALLOC_ZERO ;
  char const *s = (char const *)data ;
  for (int xtext = 0 ; xtext < 2 ; xtext++)
  {
    enc.len = 0 ;
    if (dsn_utf8addr_encode(&enc, s, size, xtext))
    {
      for (size_t i = 0 ; i < enc.len ; i++)
      {
        unsigned char c = enc.s[i] ;
        if (c <= 0x20 || c == 0x7f || c == '+' || c == '=' || (xtext && c >= 0x80)) __builtin_trap() ;
      }
      dec.len = 0 ;
      if (!dsn_utf8addr_decode(&dec, enc.s, enc.len)) __builtin_trap() ;
      if (dec.len != size || memcmp(dec.s, s, size)) __builtin_trap() ;
    }
    else if (enc.len) __builtin_trap() ;
  }
  dec.len = 0 ;
  int valid = dsn_utf8addr_valid(s, size) ;
  if (dsn_utf8addr_decode(&dec, s, size))
  {
    /* a valid input decodes to an address the encoder takes back, and
     * that encoding decodes to the same address */
    static stralloc again = STRALLOC_ZERO ;
    if (!valid || dec.len > size) __builtin_trap() ;
    enc.len = 0 ;
    if (!dsn_utf8addr_encode(&enc, dec.s, dec.len, 1)) __builtin_trap() ;
    again.len = 0 ;
    if (!dsn_utf8addr_decode(&again, enc.s, enc.len)) __builtin_trap() ;
    if (again.len != dec.len || memcmp(again.s, dec.s, dec.len)) __builtin_trap() ;
  }
  else if (valid || dec.len) __builtin_trap() ;
  return 0 ;
}

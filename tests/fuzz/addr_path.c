/* ISC license. */

/* libFuzzer harness for common/addr: the first byte picks the flags, the
 * rest is a MAIL FROM/RCPT TO argument. Beyond memory safety it checks
 * that a parsed address is well-formed and that its canonical form parses
 * back to itself. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

static void check_canonical (mailaddr const *a, unsigned int flags)
{
  mailaddr b ;
  char key[ADDR_PATH_MAX + 3] ;
  if (a->len > ADDR_PATH_MAX || a->s[a->len] || strlen(a->s) != a->len || a->at > a->len) abort() ;
  if (addr_key(a, key) != a->len) abort() ;
  if (a->at == a->len) return ;  /* null path or bare Postmaster */
  if (a->s[a->at] != '@') abort() ;
  if (!addr_parse_mailbox(a->s, a->len, &b, flags | ADDR_LIMITS_LAX)) abort() ;
  if (b.len != a->len || memcmp(b.s, a->s, a->len) || b.at != a->at || b.utf8 != a->utf8 || b.literal != a->literal) abort() ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  mailaddr a ;
  unsigned int flags ;
  size_t n ;
  if (!size) return 0 ;
  flags = data[0] & 0x0f ;
  data++ ; size-- ;
  n = addr_parse_path((char const *)data, size, &a, flags) ;
  if (n)
  {
    if (n > size || data[n-1] != '>') abort() ;
    check_canonical(&a, flags) ;
  }
  if (addr_parse_mailbox((char const *)data, size, &a, flags)) check_canonical(&a, flags) ;
  if (addr_domain_valid((char const *)data, size, flags & ADDR_UTF8_OK) && size > ADDR_DOMAIN_MAX) abort() ;
  return 0 ;
}

/* ISC license. */

/* libFuzzer harness for the readers of DNS answers in common/dns: MX
 * rdata and wire-format names (the bytes come from any DNS server on the
 * path). A decoded name is at most DNS_NAME_MAX host-name characters and
 * the reported length never passes the input. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/dns.h"

static void check_name (char const *name)
{
  size_t n = strlen(name) ;
  if (n > DNS_NAME_MAX) __builtin_trap() ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = name[i] ;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) __builtin_trap() ;
  }
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  char name[DNS_NAME_MAX + 1] ;
  uint16_t pref ;
  size_t n = dns_name_unpack(s, size, 0, name) ;
  if (n)
  {
    if (n > size) __builtin_trap() ;
    check_name(name) ;
  }
  if (dns_mx_unpack(s, size, &pref, name)) check_name(name) ;
  return 0 ;
}

/* ISC license. */

/* libFuzzer harness for common/rfc5322addr (address lists from message
 * headers and sendmail's command line). The first byte picks the flags.
 * Checks, beyond "no crash, no sanitizer report": every addr-spec is
 * NUL-terminated at its length, within RFC5322ADDR_MAX, free of control
 * characters and line breaks, its '@' where `at` says; and parsing it
 * again on its own gives exactly it back. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rfc5322addr.h"

static unsigned int flags ;

static int same (rfc5322addr const *a, void *ctx)
{
  rfc5322addr const *want = ctx ;
  if (a->len != want->len || a->at != want->at || memcmp(a->s, want->s, a->len)) abort() ;
  return 1 ;
}

static int check (rfc5322addr const *a, void *ctx)
{
  (void)ctx ;
  if (a->len > RFC5322ADDR_MAX || a->s[a->len] || a->at > a->len) abort() ;
  if (a->at < a->len && a->s[a->at] != '@') abort() ;
  if (a->at == a->len && !(flags & RFC5322ADDR_BARE_OK)) abort() ;
  for (size_t i = 0 ; i < a->len ; i++)
  {
    unsigned char c = a->s[i] ;
    if ((c < 0x20 && c != '\t') || c == 0x7f) abort() ;
  }
  if (rfc5322addr_parse(a->s, a->len, flags, &same, (void *)a) != 1) abort() ;
  return 1 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  if (!size) return 0 ;
  flags = data[0] & RFC5322ADDR_BARE_OK ;
  rfc5322addr_parse((char const *)data + 1, size - 1, flags, &check, 0) ;
  return 0 ;
}

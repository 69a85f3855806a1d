/* ISC license. */

/* libFuzzer harness for the readers of semi-trusted quota files: the
 * maildirsize parser (common/maildirsize_parse.c; Dovecot, Courier,
 * maildrop and people write that file) and the quota status file smtpd
 * reads (common/maildirsize_status_parse.c). Checks: no crash, and what
 * the parser accepts is consistent: sums that fit 63 bits and are not
 * negative, no more data lines than line ends, and a usage line that
 * formats and parses back to the same numbers. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/maildirsize.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  maildirsize m ;
  uint64_t u, l ;
  if (maildirsize_parse(s, size, &m))
  {
    size_t nl = 0 ;
    for (size_t i = 0 ; i < size ; i++) if (s[i] == '\n') nl++ ;
    if (!nl || m.lines != nl - 1) __builtin_trap() ;
    if (m.bytes > (uint64_t)INT64_MAX || m.count > (uint64_t)INT64_MAX) __builtin_trap() ;
    {
      char buf[MAILDIRSIZE_HEADER_MAX + MAILDIRSIZE_LINE_MAX] ;
      maildirsize r ;
      size_t len = maildirsize_fmt_header(buf, m.limit_bytes) ;
      len += maildirsize_fmt_line(buf + len, (int64_t)m.bytes, (int64_t)m.count) ;
      if (!maildirsize_parse(buf, len, &r)) __builtin_trap() ;
      if (r.limit_bytes != m.limit_bytes || r.bytes != m.bytes || r.count != m.count || r.lines != 1) __builtin_trap() ;
    }
  }
  if (maildirsize_status_parse(s, size, &u, &l))
  {
    if (size > MAILDIRSIZE_STATUS_MAX || s[size - 1] != '\n') __builtin_trap() ;
  }
  return 0 ;
}

/* ISC license. */

#include <stdint.h>

#include <skalibs/uint64.h>

#include "common/log.h"

void log_kvu (logline *l, char const *key, uint64_t value)
{
  char fmt[UINT64_FMT] ;
  log_kvn(l, key, fmt, uint64_fmt(fmt, value)) ;
}

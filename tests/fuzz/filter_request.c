/* ISC license. */

/* libFuzzer harness for filterrun's reader of queued's request on
 * filter.sock (common/filterreq_parse.c): the chain, the stage, the
 * command, the per-message variables. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/filterreq.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  filterreq r ;
  char const *why = 0 ;
  if (!filterreq_parse(s, size, &r, &why))
  {
    if (!why) __builtin_trap() ;
    return 0 ;
  }
  if (r.outbound > 1 || r.stage >= FILTERCHAIN_MAX || r.nvars > FILTERREQ_VARS) __builtin_trap() ;
  if (r.command < s || r.command >= s + size || r.command[0] != '/' || strlen(r.command) > FILTERCHAIN_COMMAND_MAX) __builtin_trap() ;
  for (unsigned int i = 0 ; i < r.nvars ; i++)
  {
    char const *e = r.vars[i] ;
    size_t n ;
    if (e < s || e >= s + size) __builtin_trap() ;
    n = strlen(e) ;   /* the body is NUL-terminated: within it */
    if (e + n >= s + size + 1) __builtin_trap() ;
    if (!filterreq_is_var(e)) __builtin_trap() ;
    if (n > 24 + FILTERREQ_RECIPIENTS_MAX) __builtin_trap() ;
    for (unsigned int k = 0 ; k < i ; k++)
    {
      /* each name at most once */
      size_t a = (size_t)(strchr(e, '=') - e), b = (size_t)(strchr(r.vars[k], '=') - r.vars[k]) ;
      if (a == b && !memcmp(e, r.vars[k], a)) __builtin_trap() ;
    }
  }
  return 0 ;
}

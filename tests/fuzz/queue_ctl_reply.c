/* ISC license. */

/* libFuzzer harness for mailctl's reader of queued's control answers
 * (mailctl/cmd_queue_split.c): one line of tab-separated fields with
 * \xHH escapes, split and unescaped in place. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mailctl/cmd_queue.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char line[4096] ;
  char *f[MCQ_FIELDS_MAX] ;
  size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1 ;
  unsigned int k ;
  memcpy(line, data, n) ;
  line[n] = 0 ;
  k = mcq_split(line, f, MCQ_FIELDS_MAX) ;
  if (!k || k > MCQ_FIELDS_MAX) __builtin_trap() ;
  for (unsigned int i = 0 ; i < k ; i++)
    if (f[i] < line || f[i] > line + n || strlen(f[i]) > n) __builtin_trap() ;
  return 0 ;
}

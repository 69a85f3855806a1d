/* ISC license. */

/* libFuzzer harness for queued's reader of the trigger FIFO
 * (queued/qtrigger.c). The first byte sets the size of the chunks the
 * rest is read in, as reads of a FIFO may cut it anywhere. Checks that
 * exactly the lines whose start and end fall in one chunk are named,
 * each within its chunk and without its '\n'. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queued/qtrigger.h"

typedef struct seen_s seen ;
struct seen_s
{
  char const *base ;   /* the whole stream */
  size_t chunkstart ;
  size_t chunklen ;
  size_t expect_next ; /* the stream offset the next named line must start at, or more */
  size_t count ;
} ;

static void named (char const *s, size_t len, void *arg)
{
  seen *z = arg ;
  size_t off = (size_t)(s - z->base) ;
  if (off < z->chunkstart || off + len >= z->chunkstart + z->chunklen + 1) __builtin_trap() ;
  if (off + len >= z->chunkstart + z->chunklen || z->base[off + len] != '\n') __builtin_trap() ;
  if (memchr(s, '\n', len)) __builtin_trap() ;
  if (off < z->expect_next) __builtin_trap() ;
  /* a line start: the stream's first byte or one after a '\n' */
  if (off && z->base[off - 1] != '\n') __builtin_trap() ;
  z->expect_next = off + len + 1 ;
  z->count++ ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  qtrigger t = QTRIGGER_ZERO ;
  seen z ;
  size_t chunk, expected = 0, lastnl = 0 ;
  int havenl = 0 ;
  if (!size) return 0 ;
  chunk = 1 + data[0] % 64 ;
  data++ ; size-- ;
  z.base = (char const *)data ;
  z.expect_next = 0 ;
  z.count = 0 ;
  for (size_t at = 0 ; at < size ; at += chunk)
  {
    size_t n = size - at < chunk ? size - at : chunk ;
    size_t before = z.count ;
    z.chunkstart = at ;
    z.chunklen = n ;
    if (qtrigger_lines(&t, z.base + at, n, &named, &z) != z.count - before) __builtin_trap() ;
  }
  /* The reference: a line is named iff its first byte and its '\n' fall
   * in the same chunk. */
  for (size_t i = 0 ; i < size ; i++)
  {
    size_t start ;
    if (data[i] != '\n') continue ;
    start = havenl ? lastnl + 1 : 0 ;
    if (start / chunk == i / chunk) expected++ ;
    lastnl = i ;
    havenl = 1 ;
  }
  if (expected != z.count) __builtin_trap() ;
  return 0 ;
}

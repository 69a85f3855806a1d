/* ISC license. */

/* libFuzzer harness for lineio_get: the first byte picks the line limit
 * and the buffer size (so that lines cross buffer refills and the
 * circular buffer wraps), the rest is what a peer sends, through a real
 * non-blocking pipe. Checks the reported lines against the input. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include "common/lineio.h"

#define INPUT_MAX 60000  /* below the 64 KiB pipe capacity: written at once */

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  int p[2] ;
  char space[70] ;
  char line[300] ;
  buffer b ;
  tain deadline ;
  size_t max, bufsize ;
  size_t lines = 0, newlines = 0 ;
  size_t i ;
  unsigned int rounds = 0 ;
  if (!size) return 0 ;
  max = 1 + (data[0] & 0x3f) * 4 ;  /* 1 .. 253 */
  bufsize = 2 + (data[0] >> 6) * 20 ;  /* 2 .. 62 */
  data++ ; size-- ;
  if (size > INPUT_MAX) size = INPUT_MAX ;
  for (i = 0 ; i < size ; i++) if (data[i] == '\n') newlines++ ;
  if (pipe(p) < 0) return 0 ;
  if (ndelay_on(p[0]) < 0 || (size && write(p[1], data, size) != (ssize_t)size)) abort() ;
  close(p[1]) ;
  buffer_init(&b, &buffer_read, p[0], space, bufsize) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, 5) ;
  for (;;)
  {
    size_t len = 0 ;
    unsigned int flags = 0 ;
    int r = lineio_get(&b, line, max, &len, &flags, &deadline) ;
    if (++rounds > size + 2) abort() ;  /* every call consumes something */
    if (r == 1)
    {
      lines++ ;
      if (len >= max || line[len] || memchr(line, '\n', len)) abort() ;
      if (!(flags & LINEIO_NUL) && memchr(line, 0, len)) abort() ;
      if ((flags & LINEIO_NUL) && !memchr(line, 0, len)) abort() ;
      if (!(flags & LINEIO_BARECR) && memchr(line, '\r', len)) abort() ;
      continue ;
    }
    if (r == 0) { if (lines != newlines) abort() ; break ; }
    if (errno == ERANGE) { if (len) abort() ; lines++ ; continue ; }
    if (errno == EPIPE) { if (lines != newlines) abort() ; break ; }
    abort() ;
  }
  if (lineio_pending(&b)) abort() ;
  close(p[0]) ;
  return 0 ;
}

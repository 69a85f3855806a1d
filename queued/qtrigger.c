/* ISC license. */

#include <string.h>

#include "queued/qtrigger.h"

size_t qtrigger_lines (qtrigger *t, char const *chunk, size_t n, void (*name)(char const *, size_t, void *), void *arg)
{
  size_t start = 0 ;
  size_t count = 0 ;
  while (start < n)
  {
    char const *nl = memchr(chunk + start, '\n', n - start) ;
    size_t end ;
    if (!nl) break ;
    end = (size_t)(nl - chunk) ;
    if (!t->midline)
    {
      (*name)(chunk + start, end - start, arg) ;
      count++ ;
    }
    t->midline = 0 ;
    start = end + 1 ;
  }
  if (start < n) t->midline = 1 ;
  return count ;
}

/* ISC license. */

/* "1:3,7" from a sorted array (duplicates allowed); nothing for n == 0. */

#include <skalibs/stralloc.h>
#include <skalibs/uint32.h>
#include "imapd/imap_parse.h"

int imap_seqset_fmt (stralloc *sa, uint32_t const *sorted, size_t n)
{
  size_t i = 0 ;
  int first = 1 ;
  while (i < n)
  {
    char fmt[UINT32_FMT] ;
    size_t j = i ;
    while (j + 1 < n && (sorted[j + 1] == sorted[j] || sorted[j + 1] == sorted[j] + 1)) j++ ;
    if (!first && !stralloc_catb(sa, ",", 1)) return 0 ;
    first = 0 ;
    if (!stralloc_catb(sa, fmt, uint32_fmt(fmt, sorted[i]))) return 0 ;
    if (sorted[j] != sorted[i])
      if (!stralloc_catb(sa, ":", 1) || !stralloc_catb(sa, fmt, uint32_fmt(fmt, sorted[j]))) return 0 ;
    i = j + 1 ;
  }
  return 1 ;
}

/* ISC license. */

/* Numbers and compact UID sets ("1:3,5,7:8", RFC 9051 §9 sequence-set)
 * for responses. */

#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "imapd/imap_session-internal.h"

int imap_fmt_u64 (stralloc *sa, uint64_t n)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(sa, fmt, uint64_fmt(fmt, n)) ;
}

int imap_fmt_uids (stralloc *sa, uint32_t const *uids, size_t n)
{
  size_t i = 0 ;
  int first = 1 ;
  while (i < n)
  {
    size_t j = i ;
    while (j + 1 < n && uids[j+1] == uids[j] + 1) j++ ;
    if (!first && !stralloc_catb(sa, ",", 1)) return 0 ;
    first = 0 ;
    if (!imap_fmt_u64(sa, uids[i])) return 0 ;
    if (j > i && (!stralloc_catb(sa, ":", 1) || !imap_fmt_u64(sa, uids[j]))) return 0 ;
    i = j + 1 ;
  }
  return 1 ;
}

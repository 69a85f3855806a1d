/* ISC license. */

/* sequence-set = (seq-number / seq-range) ["," sequence-set], seq-number
 * = nz-number / "*" (RFC 9051 §9); "$" alone: the saved search result
 * (RFC 5182 §2.1). Ranges keep '*' as 0: "n:*" and "*:n" are {n, 0},
 * "*" is {0, 0}; imap_seqset_contains resolves it. */

#include <skalibs/genalloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int seq_number (imap_cursor *c, uint32_t *n)
{
  if (imap_try(c, '*')) { *n = 0 ; return 1 ; }
  if (!imap_nz_number(c, n)) { c->error = 0 ; return imap_fail(c, "Invalid sequence set") ; }
  return 1 ;
}

int imap_seqset_parse (imap_cursor *c, imap_seqset *set)
{
  genalloc_setlen(imap_range, &set->ranges, 0) ;
  set->saved = 0 ;
  if (imap_try(c, '$'))
  {
    set->saved = 1 ;
    return 1 ;
  }
  for (;;)
  {
    imap_range r ;
    if (!seq_number(c, &r.lo)) return 0 ;
    r.hi = r.lo ;
    if (imap_try(c, ':') && !seq_number(c, &r.hi)) return 0 ;
    if (!r.lo || (r.hi && r.hi < r.lo))
    {
      uint32_t t = r.lo ;
      r.lo = r.hi ;
      r.hi = t ;
    }
    if (!genalloc_append(imap_range, &set->ranges, &r)) return imap_fail(c, "Out of memory") ;
    if (!imap_try(c, ',')) break ;
  }
  return 1 ;
}

int imap_seqset_contains (imap_seqset const *set, uint32_t n, uint32_t max)
{
  imap_range const *r = genalloc_s(imap_range const, &set->ranges) ;
  size_t len = genalloc_len(imap_range, &set->ranges), i = 0 ;
  for (; i < len ; i++)
  {
    uint32_t lo = r[i].lo ? r[i].lo : max ;
    uint32_t hi = r[i].hi ? r[i].hi : max ;
    if (lo > hi) { uint32_t t = lo ; lo = hi ; hi = t ; }
    if (n >= lo && n <= hi) return 1 ;
  }
  return 0 ;
}

void imap_seqset_free (imap_seqset *set)
{
  genalloc_free(imap_range, &set->ranges) ;
  set->saved = 0 ;
}

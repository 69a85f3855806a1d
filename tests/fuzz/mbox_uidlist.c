/* ISC license. */

/* libFuzzer harness for the readers of a Maildir's index files, which
 * Dovecot, other tools and people also write: dovecot-uidlist
 * (common/mbox_uidlist.c), posthaste-modseq (common/mbox_modseq.c), and
 * modified UTF-7 folder names (common/mutf7.c). Checks: no crash; an
 * accepted uidlist formats as version 3 and parses back to the same
 * records; an accepted modseq log formats and parses back to the same
 * state; an accepted modified UTF-7 name encodes back to itself (one
 * encoding per name). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox.h"
#include "common/mbox-internal.h"

static void uidlist (char const *s, size_t size)
{
  mbox_uidlist a = MBOX_UIDLIST_ZERO, b = MBOX_UIDLIST_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  if (mbox_uidlist_parse(&a, s, size))
  {
    size_t n = genalloc_len(mbox_uidrec, &a.recs) ;
    mbox_uidrec const *x, *y ;
    if (!mbox_uidlist_format(&a, &out)) __builtin_trap() ;
    if (!mbox_uidlist_parse(&b, out.s, out.len)) __builtin_trap() ;
    if (b.uidvalidity != a.uidvalidity || b.nextuid != a.nextuid || genalloc_len(mbox_uidrec, &b.recs) != n) __builtin_trap() ;
    x = genalloc_s(mbox_uidrec, &a.recs) ;
    y = genalloc_s(mbox_uidrec, &b.recs) ;
    for (size_t i = 0 ; i < n ; i++)
    {
      if (x[i].uid != y[i].uid || x[i].vsize != y[i].vsize) __builtin_trap() ;
      if (strcmp(a.sa.s + x[i].base, b.sa.s + y[i].base)) __builtin_trap() ;
      if (i && x[i].uid <= x[i-1].uid) __builtin_trap() ;
      if (x[i].uid >= a.nextuid) __builtin_trap() ;
    }
  }
  mbox_uidlist_free(&a) ;
  mbox_uidlist_free(&b) ;
  stralloc_free(&out) ;
}

static void modseq (char const *s, size_t size)
{
  mbox_modseq a = MBOX_MODSEQ_ZERO, b = MBOX_MODSEQ_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  if (mbox_modseq_parse(&a, s, size))
  {
    size_t n = genalloc_len(mbox_msrec, &a.recs) ;
    if (!mbox_modseq_format(&a, &out)) __builtin_trap() ;
    if (!mbox_modseq_parse(&b, out.s, out.len)) __builtin_trap() ;
    if (b.highest != a.highest || genalloc_len(mbox_msrec, &b.recs) != n) __builtin_trap() ;
    for (size_t i = 0 ; i < n ; i++)
    {
      mbox_msrec const *x = genalloc_s(mbox_msrec, &a.recs) + i, *y = genalloc_s(mbox_msrec, &b.recs) + i ;
      if (x->uid != y->uid || x->modseq != y->modseq || strcmp(a.sa.s + x->letters, b.sa.s + y->letters)) __builtin_trap() ;
      if (x->modseq > a.highest) __builtin_trap() ;
    }
  }
  mbox_modseq_free(&a) ;
  mbox_modseq_free(&b) ;
  stralloc_free(&out) ;
}

static void mutf7 (char const *s, size_t size)
{
  stralloc u = STRALLOC_ZERO, m = STRALLOC_ZERO ;
  if (size > 1024) return ;
  if (mutf7_to_utf8(&u, s, size))
  {
    if (!utf8_to_mutf7(&m, u.s, u.len)) __builtin_trap() ;
    if (m.len != size || (size && memcmp(m.s, s, size))) __builtin_trap() ;
  }
  stralloc_free(&u) ;
  stralloc_free(&m) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  uidlist(s, size) ;
  modseq(s, size) ;
  mutf7(s, size) ;
  return 0 ;
}

/* ISC license. */

/* libFuzzer harness for DKIM canonicalization and verification of a
 * whole message (RFC 6376 §3.4, §6): the body canonicalizer fed in
 * chunks the input chooses must give the same bytes as fed at once;
 * header splitting and canonicalization must stay in bounds; a full
 * verification with a key hook that answers from the input must end. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/dkim.h"

static void sink (void *ctx, char const *s, size_t len)
{
  stralloc_catb((stralloc *)ctx, s, len) ;
}

/* every key name gets the text after the first NUL of the input */
typedef struct keysrc_s keysrc ;
struct keysrc_s
{
  char const *s ;
  size_t len ;
} ;

static int lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  keysrc *k = ctx ;
  (void)name ; (void)why ;
  if (!k->len) return 0 ;
  if (!stralloc_catb(records, k->s, k->len) || !stralloc_0(records)) return -1 ;
  return 1 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static dkim_body b ;
  char const *s = (char const *)data ;
  size_t cut = 0 ;
  stralloc whole = STRALLOC_ZERO, chunked = STRALLOC_ZERO ;
  if (size > 65536) return 0 ;
  while (cut < size && data[cut]) cut++ ;
  for (int canon = 0 ; canon < 2 ; canon++)
  {
    whole.len = chunked.len = 0 ;
    dkim_body_init(&b, canon, &sink, &whole) ;
    dkim_body_update(&b, s, cut) ;
    dkim_body_final(&b) ;
    dkim_body_init(&b, canon, &sink, &chunked) ;
    for (size_t i = 0 ; i < cut ;)
    {
      size_t n = 1 + (data[i] & 7) ;
      if (n > cut - i) n = cut - i ;
      dkim_body_update(&b, s + i, n) ;
      i += n ;
    }
    dkim_body_final(&b) ;
    if (whole.len != chunked.len || (whole.len && memcmp(whole.s, chunked.s, whole.len))) __builtin_trap() ;
    /* canonical output: every line ends with CRLF */
    if (whole.len && (whole.len < 2 || whole.s[whole.len - 2] != '\r' || whole.s[whole.len - 1] != '\n')) __builtin_trap() ;
  }
  {
    genalloc fields = GENALLOC_ZERO ;
    size_t body ;
    char const *why ;
    if (dkim_split(s, cut, &fields, &body, &why))
    {
      if (body > cut) __builtin_trap() ;
      for (size_t i = 0 ; i < genalloc_len(dkim_field, &fields) ; i++)
      {
        dkim_field const *f = genalloc_s(dkim_field, &fields) + i ;
        if (f->off + f->len > cut) __builtin_trap() ;
        whole.len = 0 ;
        dkim_canon_header(DKIM_CANON_RELAXED, s + f->off, f->len, 1, &sink, &whole) ;
        dkim_canon_header(DKIM_CANON_SIMPLE, s + f->off, f->len, 1, &sink, &whole) ;
      }
    }
    genalloc_free(dkim_field, &fields) ;
  }
  {
    dkim_result res[DKIM_SIGS_MAX] ;
    unsigned int n = 0 ;
    keysrc k = { .s = cut < size ? s + cut + 1 : 0, .len = cut < size ? size - cut - 1 : 0 } ;
    if (k.len > 4096) k.len = 4096 ;
    if (!dkim_verify(s, cut, &lookup, &k, 1700000000, res, DKIM_SIGS_MAX, &n)) __builtin_trap() ;
    for (unsigned int i = 0 ; i < n && i < DKIM_SIGS_MAX ; i++)
      if (res[i].result < DKIM_PASS || res[i].result > DKIM_POLICY) __builtin_trap() ;
  }
  stralloc_free(&whole) ;
  stralloc_free(&chunked) ;
  return 0 ;
}

/* ISC license. */

/* number (32 bits), nz-number, number64 / mod-sequence-value (63 bits,
 * RFC 9051 §9, RFC 7162 §7). */

#include "imapd/imap_parse.h"
#include "imapd/imap_parse-internal.h"

static int digits (imap_cursor *c, uint64_t max, uint64_t *n, int nz)
{
  size_t i = c->pos ;
  uint64_t v = 0 ;
  if (i >= c->len || c->s[i] < '0' || c->s[i] > '9') return imap_fail(c, "Expected a number") ;
  if (nz && c->s[i] == '0') return imap_fail(c, "Expected a non-zero number") ;
  while (i < c->len && c->s[i] >= '0' && c->s[i] <= '9')
  {
    unsigned int d = c->s[i++] - '0' ;
    if (v > (max - d) / 10) return imap_fail(c, "Number out of range") ;
    v = v * 10 + d ;
  }
  c->pos = i ;
  *n = v ;
  return 1 ;
}

int imap_number (imap_cursor *c, uint32_t *n)
{
  uint64_t v ;
  if (!digits(c, UINT32_MAX, &v, 0)) return 0 ;
  *n = (uint32_t)v ;
  return 1 ;
}

int imap_nz_number (imap_cursor *c, uint32_t *n)
{
  uint64_t v ;
  if (!digits(c, UINT32_MAX, &v, 1)) return 0 ;
  *n = (uint32_t)v ;
  return 1 ;
}

int imap_number64 (imap_cursor *c, uint64_t *n)
{
  return digits(c, UINT64_C(0x7fffffffffffffff), n, 0) ;
}

/* ISC license. */

/* pct= sampling (RFC 7489 §6.6.4 leaves the method to the receiver):
 * by the message itself, so that a message seen twice (a filter chain
 * run again after a crash, docs/filters.md "Durability") gets the same
 * answer, and the tests can predict it. */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <skalibs/genalloc.h>
#include <skalibs/types.h>

#include "common/dmarc.h"

uint32_t dmarc_sample (char const *msg, size_t len)
{
  char const *x = getenv("PH_DMARC_SAMPLE") ;
  genalloc fields = GENALLOC_ZERO ;
  size_t body = len ;
  char const *why ;
  char const *s = msg ;
  size_t n = len ;
  unsigned char md[32] ;
  unsigned int mdlen = 0 ;
  if (x && *x)
  {
    unsigned int v ;
    size_t k = uint_scan(x, &v) ;
    if (k && !x[k] && v < 100) return v ;
  }
  if (dkim_split(msg, len, &fields, &body, &why))
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) ;
    size_t nf = genalloc_len(dkim_field, &fields) ;
    s = msg ; n = body ;
    for (size_t i = 0 ; i < nf ; i++)
      if (dkim_field_is(msg, f + i, "message-id", 10))
      {
        s = msg + f[i].off ;
        n = f[i].len ;
        break ;
      }
  }
  genalloc_free(dkim_field, &fields) ;
  if (n > len) n = len ;
  if (EVP_Digest(s, n, md, &mdlen, EVP_sha256(), 0) != 1 || mdlen < 4) return 0 ;
  return (((uint32_t)md[0] << 24) | ((uint32_t)md[1] << 16) | ((uint32_t)md[2] << 8) | md[3]) % 100 ;
}

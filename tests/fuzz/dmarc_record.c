/* ISC license. */

/* libFuzzer harness for the DMARC readers of text from other hosts:
 * policy records (RFC 7489 §6.3, §6.4), From field values (the author
 * domains, §6.6.1), the Authentication-Results reader (RFC 8601) and
 * domain normalization for the public suffix list. The first byte
 * chooses the reader. What a reader accepts must be within the bounds
 * its header promises. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/authres.h"
#include "common/dmarc.h"
#include "common/psl.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static dmarc_record r ;
  char const *s = (char const *)data + 1 ;
  char const *why = 0 ;
  size_t len ;
  if (!size) return 0 ;
  len = size - 1 ;
  switch (data[0] % 4)
  {
    case 0 :
    {
      int x = dmarc_record_parse(&r, s, len, &why) ;
      if (x < -1 || x > 1) __builtin_trap() ;
      if (x == 1)
      {
        if (!r.p || r.pct > 100 || r.nrua > DMARC_URIS_MAX || r.nruf > DMARC_URIS_MAX) __builtin_trap() ;
        for (unsigned int i = 0 ; i < r.nrua ; i++) if (strlen(r.rua[i].uri) > DMARC_URI_MAX || !r.rua[i].uri[0]) __builtin_trap() ;
        for (unsigned int i = 0 ; i < r.nruf ; i++) if (strlen(r.ruf[i].uri) > DMARC_URI_MAX || !r.ruf[i].uri[0]) __builtin_trap() ;
      }
      else if (!why) __builtin_trap() ;
      break ;
    }
    case 1 :
    {
      char all[DMARC_FROM_DOMAINS_MAX][DNS_NAME_MAX + 1] ;
      unsigned int nall = 0 ;
      dmarc_from_value(s, len, all, DMARC_FROM_DOMAINS_MAX, &nall) ;
      if (nall > DMARC_FROM_DOMAINS_MAX) __builtin_trap() ;
      for (unsigned int i = 0 ; i < nall ; i++) if (!all[i][0] || strlen(all[i]) > DNS_NAME_MAX) __builtin_trap() ;
      break ;
    }
    case 2 :
    {
      char id[AUTHRES_ID_MAX + 1], word[32] ;
      size_t rest ;
      if (authres_id(s, len, id, &rest) && (rest > len || !id[0] || strlen(id) > AUTHRES_ID_MAX)) __builtin_trap() ;
      if (authres_result(s, len, "arc", word) && (!word[0] || strlen(word) > 31)) __builtin_trap() ;
      break ;
    }
    case 3 :
    {
      char name[512], out[PSL_NAME_MAX + 1] ;
      size_t n = len < sizeof(name) - 1 ? len : sizeof(name) - 1 ;
      memcpy(name, s, n) ;
      name[n] = 0 ;
      if (psl_normalize(name, out) && (!out[0] || strlen(out) > PSL_NAME_MAX)) __builtin_trap() ;
      break ;
    }
  }
  return 0 ;
}

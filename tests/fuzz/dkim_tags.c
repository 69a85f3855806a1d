/* ISC license. */

/* libFuzzer harness for the DKIM readers of text from other hosts: tag
 * lists (RFC 6376 §3.2), DKIM-Signature fields (§3.5) and key records
 * (§3.6.1), base64 and TXT rdata. The first byte chooses the reader.
 * Offsets must stay inside the input; a parsed signature's fields must
 * be what the grammar allows. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/dkim.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static dkim_tags t ;
  static dkim_sig sig ;
  char const *s = (char const *)data + 1 ;
  char const *why = 0 ;
  size_t len ;
  if (!size) return 0 ;
  len = size - 1 ;
  switch (data[0] % 5)
  {
    case 0 :
      if (dkim_tags_parse(&t, s, len, &why))
        for (unsigned int i = 0 ; i < t.n ; i++)
          if (t.tag[i].name + t.tag[i].namelen > len || t.tag[i].value + t.tag[i].valuelen > len || t.tag[i].end > len || t.tag[i].after > t.tag[i].value)
            __builtin_trap() ;
      break ;
    case 1 :
      memset(&sig, 0, sizeof(sig)) ;
      if (dkim_sig_parse(&sig, s, len, &why))
      {
        if (sig.bstart > sig.bend || sig.bend > len || !sig.nh || sig.blen > DKIM_SIGBYTES_MAX || sig.bhlen > 64) __builtin_trap() ;
        if (strlen(sig.domain) > DNS_NAME_MAX || !sig.auid_domain) __builtin_trap() ;
        for (unsigned int i = 0 ; i < sig.nh ; i++) if (sig.h[i].off + sig.h[i].len > len) __builtin_trap() ;
      }
      break ;
    case 2 :
    {
      dkim_key k ;
      int r = dkim_key_parse(&k, s, len, &why) ;
      if (r == 1 && !k.pkey) __builtin_trap() ;
      if (r == 1) dkim_key_free(&k) ;
      break ;
    }
    case 3 :
    {
      unsigned char out[256] ;
      size_t n = 0 ;
      if (dkim_b64_decode(s, len, out, sizeof(out), &n) && n > sizeof(out)) __builtin_trap() ;
      break ;
    }
    default :
    {
      stralloc sa = STRALLOC_ZERO ;
      if (dkim_txt_join(s, len, &sa) && sa.len >= len + !len) __builtin_trap() ;
      stralloc_free(&sa) ;
      break ;
    }
  }
  return 0 ;
}

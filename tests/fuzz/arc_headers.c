/* ISC license. */

/* libFuzzer harness for ARC (RFC 8617): the ARC-Message-Signature and
 * ARC-Seal field parser, the ARC-Authentication-Results instance
 * reader, and whole-chain validation of a message, with every key
 * lookup answered by one fixed Ed25519 record (so the hashing and the
 * signature check run). The first byte chooses. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/arc.h"

static int lookup (void *ctx, char const *name, stralloc *records, char const **why)
{
  static char const rec[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" ;
  (void)ctx ; (void)why ;
  if (name[0] == 'x') return -1 ;   /* a selector starting with x: a temporary failure */
  return stralloc_catb(records, rec, sizeof(rec)) ? 1 : -1 ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  static arc_sig sig ;
  char const *s = (char const *)data + 1 ;
  char const *why = 0 ;
  size_t len ;
  if (!size) return 0 ;
  len = size - 1 ;
  switch (data[0] % 4)
  {
    case 0 :
    case 1 :
      if (arc_sig_parse(&sig, data[0] % 4 ? ARC_KIND_AS : ARC_KIND_AMS, s, len, &why))
      {
        if (!sig.instance || sig.instance > ARC_INSTANCES_MAX || sig.bstart > sig.bend || sig.bend > len || !sig.blen || sig.blen > DKIM_SIGBYTES_MAX) __builtin_trap() ;
        if (strlen(sig.domain) > DNS_NAME_MAX || strlen(sig.selector) > DNS_NAME_MAX) __builtin_trap() ;
        for (unsigned int i = 0 ; i < sig.nh ; i++) if (sig.h[i].off + sig.h[i].len > len) __builtin_trap() ;
      }
      else if (!why) __builtin_trap() ;
      break ;
    case 2 :
    {
      unsigned int inst ;
      size_t payload ;
      if (arc_aar_parse(s, len, &inst, &payload) && (!inst || inst > ARC_INSTANCES_MAX || payload > len)) __builtin_trap() ;
      break ;
    }
    case 3 :
    {
      arc_chain c ;
      stralloc ar = STRALLOC_ZERO ;
      if (!arc_verify(s, len, &lookup, 0, &c)) break ;
      if (c.n > ARC_INSTANCES_MAX || (c.result == ARC_NONE && c.n) || (c.result == ARC_FAIL && !c.why)) __builtin_trap() ;
      if (c.oldest_pass > c.n) __builtin_trap() ;
      arc_cv_from_authres(s, len, "mx.example.test", &ar) ;
      stralloc_free(&ar) ;
      break ;
    }
  }
  return 0 ;
}

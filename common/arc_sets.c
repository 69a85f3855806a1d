/* ISC license. */

/* Gathering the ARC sets of a message (RFC 8617 §4.2.1, §5.2 steps
 * 2-3): each instance has exactly one field of each kind, instances
 * run 1..N without a gap, N ≤ 50. */

#include <string.h>

#include <openssl/evp.h>

#include "common/arc-internal.h"

int arc_sets_collect (char const *msg, dkim_field const *f, size_t nf, arc_set *sets, arc_sig (*sigs)[ARC_INSTANCES_MAX + 1], unsigned int *n, char const **why)
{
  unsigned int top = 0 ;
  for (unsigned int i = 0 ; i <= ARC_INSTANCES_MAX ; i++) sets[i].aar = sets[i].ams = sets[i].as = (size_t)-1 ;
  for (size_t k = 0 ; k < nf ; k++)
  {
    int kind = arc_field_kind(msg, f + k) ;
    unsigned int inst ;
    size_t *slot ;
    if (kind < 0) continue ;
    if (kind == ARC_KIND_AAR)
    {
      size_t payload ;
      if (!arc_aar_parse(msg + f[k].off, f[k].len, &inst, &payload)) return (*why = "malformed ARC-Authentication-Results", 0) ;
      slot = &sets[inst].aar ;
    }
    else
    {
      arc_sig tmp ;
      arc_sig *s = &tmp ;
      if (!arc_sig_parse(s, kind, msg + f[k].off, f[k].len, why)) return 0 ;
      inst = s->instance ;
      slot = kind == ARC_KIND_AMS ? &sets[inst].ams : &sets[inst].as ;
      if (*slot == (size_t)-1) memcpy(&sigs[kind - 1][inst], s, sizeof(arc_sig)) ;
    }
    if (*slot != (size_t)-1) return (*why = "an ARC instance appears twice", 0) ;
    *slot = k ;
    if (inst > top) top = inst ;
  }
  for (unsigned int i = 1 ; i <= top ; i++)
    if (sets[i].aar == (size_t)-1 || sets[i].ams == (size_t)-1 || sets[i].as == (size_t)-1)
      return (*why = "an ARC set is incomplete or missing", 0) ;
  *n = top ;
  return 1 ;
}

static void sink (void *ctx, char const *s, size_t len)
{
  EVP_DigestUpdate((EVP_MD_CTX *)ctx, s, len) ;
}

int arc_seal_digest (char const *msg, dkim_field const *f, arc_set const *sets, unsigned int i, char const *aarfield, size_t aarlen, char const *amsfield, size_t amslen, char const *asfield, size_t aslen, size_t bstart, size_t bend, unsigned char *digest)
{
  static char buf[DKIM_FIELD_MAX] ;
  EVP_MD_CTX *md = EVP_MD_CTX_new() ;
  unsigned int dl = 0 ;
  size_t w = 0 ;
  int ok ;
  if (!md) return 0 ;
  ok = EVP_DigestInit_ex(md, EVP_sha256(), 0) == 1 ;
  for (unsigned int j = 1 ; ok && j < i ; j++)
  {
    dkim_canon_header(DKIM_CANON_RELAXED, msg + f[sets[j].aar].off, f[sets[j].aar].len, 1, &sink, md) ;
    dkim_canon_header(DKIM_CANON_RELAXED, msg + f[sets[j].ams].off, f[sets[j].ams].len, 1, &sink, md) ;
    dkim_canon_header(DKIM_CANON_RELAXED, msg + f[sets[j].as].off, f[sets[j].as].len, 1, &sink, md) ;
  }
  if (ok && aslen <= sizeof(buf))
  {
    dkim_canon_header(DKIM_CANON_RELAXED, aarfield, aarlen, 1, &sink, md) ;
    dkim_canon_header(DKIM_CANON_RELAXED, amsfield, amslen, 1, &sink, md) ;
    for (size_t k = 0 ; k < bstart ; k++) buf[w++] = asfield[k] ;
    for (size_t k = bend ; k < aslen ; k++) buf[w++] = asfield[k] ;
    dkim_canon_header(DKIM_CANON_RELAXED, buf, w, 0, &sink, md) ;
    ok = EVP_DigestFinal_ex(md, digest, &dl) == 1 && dl == 32 ;
  }
  else ok = 0 ;
  EVP_MD_CTX_free(md) ;
  return ok ;
}

/* ISC license. */

/* Identifier alignment, RFC 7489 §3.1.1 (DKIM) and §3.1.2 (SPF). */

#include <string.h>

#include "common/dmarc.h"
#include "common/psl.h"

int dmarc_aligned (char const *a, char const *b, int strict)
{
  char na[PSL_NAME_MAX + 1], nb[PSL_NAME_MAX + 1] ;
  char oa[PSL_NAME_MAX + 1], ob[PSL_NAME_MAX + 1] ;
  int r ;
  if (!psl_normalize(a, na) || !psl_normalize(b, nb)) return 0 ;
  /* a public suffix (DKIM d=com) aligns with nothing, strict or not */
  r = psl_org_domain(na, oa) ;
  if (r <= 0) return r ;
  r = psl_org_domain(nb, ob) ;
  if (r <= 0) return r ;
  if (strict) return !strcmp(na, nb) ;
  return !strcmp(oa, ob) ;
}

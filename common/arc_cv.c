/* ISC license. */

/* Where a sealer that does not validate the chain itself takes cv=
 * from (RFC 8617 §5.1.2 leaves it to the sealer how it knows): the
 * arc= result our own inbound filter wrote into the topmost
 * Authentication-Results field with our authserv-id. No sender can
 * plant one: the filter removes fields from outside that claim it
 * (RFC 8601 §5). */

#include <string.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/arc.h"
#include "common/authres.h"

int arc_cv_from_authres (char const *msg, size_t len, char const *authserv, stralloc *authres)
{
  genalloc fields = GENALLOC_ZERO ;
  size_t body ;
  char const *why ;
  int cv = ARC_NONE ;
  if (!dkim_split(msg, len, &fields, &body, &why)) { genalloc_free(dkim_field, &fields) ; return ARC_NONE ; }
  {
    dkim_field const *f = genalloc_s(dkim_field, &fields) ;
    size_t nf = genalloc_len(dkim_field, &fields) ;
    for (size_t i = 0 ; i < nf ; i++)
    {
      char const *v ;
      size_t vl, colon = 0 ;
      char word[32] ;
      if (!dkim_field_is(msg, f + i, "authentication-results", 22)) continue ;
      while (colon < f[i].len && msg[f[i].off + colon] != ':') colon++ ;
      if (colon >= f[i].len) continue ;
      v = msg + f[i].off + colon + 1 ;
      vl = f[i].len - colon - 1 ;
      if (!authres_claims(v, vl, authserv)) continue ;
      while (vl && (*v == ' ' || *v == '\t')) { v++ ; vl-- ; }
      authres->len = 0 ;
      if (!stralloc_catb(authres, v, vl) || !stralloc_0(authres)) { cv = ARC_NONE ; break ; }
      authres->len-- ;
      if (authres_result(v, vl, "arc", word))
        cv = !strcmp(word, "pass") ? ARC_PASS : !strcmp(word, "none") ? ARC_NONE : ARC_FAIL ;
      break ;
    }
  }
  genalloc_free(dkim_field, &fields) ;
  return cv ;
}

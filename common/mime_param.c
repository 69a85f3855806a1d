/* ISC license. */

#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "common/mime.h"
#include "common/mime-internal.h"

int mime_param (stralloc *sa, char const *v, size_t vlen, char const *name)
{
  stralloc raw = STRALLOC_ZERO ;
  stralloc dec = STRALLOC_ZERO ;
  genalloc ga = GENALLOC_ZERO ;
  size_t type, subtype ;
  int found = 0 ;
  int n ;
  if (mime_ctype_parse(&raw, &ga, v, vlen, 0, &type, &subtype) < 0) goto end ;
  n = mime_params_decode(&dec, raw.s, genalloc_s(mime_rawparam, &ga), genalloc_len(mime_rawparam, &ga)) ;
  if (n > 0)
  {
    char const *q = dec.s ;
    for (int k = 0 ; k < n ; k++)
    {
      char const *val = q + strlen(q) + 1 ;
      if (!strcasecmp(q, name))
      {
        found = stralloc_cats(sa, val) ? 1 : 0 ;
        break ;
      }
      q = val + strlen(val) + 1 ;
    }
  }
 end:
  stralloc_free(&raw) ;
  stralloc_free(&dec) ;
  genalloc_free(mime_rawparam, &ga) ;
  return found ;
}

/* ISC license. */

/* The address of the From field: its domain chooses the keys. */

#include <string.h>
#include <errno.h>

#include <skalibs/genalloc.h>

#include "common/dkim.h"
#include "common/rfc5322addr.h"
#include "dkimsign.h"

typedef struct first_s first ;
struct first_s
{
  char *addr ;
  int found ;
} ;

static int take (rfc5322addr const *a, void *ctx)
{
  first *f = ctx ;
  if (a->at >= a->len || a->len >= DS_ADDR_MAX) return (errno = EINVAL, 0) ;
  for (size_t i = 0 ; i <= a->len ; i++) f->addr[i] = a->s[i] >= 'A' && a->s[i] <= 'Z' ? a->s[i] + 32 : a->s[i] ;
  f->found = 1 ;
  return (errno = 0, 0) ;   /* the first mailbox is enough */
}

int ds_from (char const *msg, size_t len, char *addr, char const **why)
{
  genalloc fields = GENALLOC_ZERO ;
  size_t body ;
  first f = { .addr = addr, .found = 0 } ;
  int ok = 0 ;
  if (!dkim_split(msg, len, &fields, &body, why)) goto end ;
  *why = "no From field" ;
  for (size_t i = 0 ; i < genalloc_len(dkim_field, &fields) ; i++)
  {
    dkim_field const *x = genalloc_s(dkim_field, &fields) + i ;
    if (!dkim_field_is(msg, x, "from", 4)) continue ;
    {
      char const *v = msg + x->off + x->namelen ;
      size_t vl = x->len - x->namelen ;
      while (vl && *v != ':') { v++ ; vl-- ; }
      if (!vl) break ;
      rfc5322addr_parse(v + 1, vl - 1, 0, &take, &f) ;
      if (f.found) ok = 1 ;
      else *why = "no address in the From field" ;
    }
    break ;
  }
 end:
  genalloc_free(dkim_field, &fields) ;
  return ok ;
}

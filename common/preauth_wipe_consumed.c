/* ISC license. */

#include <string.h>
#include <sys/uio.h>

#include <skalibs/cbuffer.h>

#include "common/preauth.h"

void preauth_wipe_consumed (cbuffer *c)
{
  struct iovec v[2] ;
  cbuffer_wpeek(c, v) ;
  for (unsigned int i = 0 ; i < 2 ; i++)
    if (v[i].iov_len) explicit_bzero(v[i].iov_base, v[i].iov_len) ;
  c->x[(c->p + c->a - 1) % c->a] = 0 ;  /* the slot cbuffer keeps empty */
}

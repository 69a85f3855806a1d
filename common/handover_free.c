/* ISC license. */

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/handover.h"

void handover_free (handover *h)
{
  for (unsigned int i = 0 ; i < 2 ; i++)
    if (h->fd[i] >= 0) { fd_close(h->fd[i]) ; h->fd[i] = -1 ; }
  if (h->body.s) explicit_bzero(h->body.s, h->body.len) ;
  stralloc_free(&h->body) ;
  h->fieldslen = 0 ;
  h->pending = 0 ;
  h->pendinglen = 0 ;
}

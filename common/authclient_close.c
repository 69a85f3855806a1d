/* ISC license. */

#include <string.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/authclient.h"

void authclient_close (authclient *ac)
{
  if (ac->fd >= 0) fd_close(ac->fd) ;
  ac->fd = -1 ;
  ac->id = 0 ;
  /* The last line sent may have held a password. */
  if (ac->send.s) explicit_bzero(ac->send.s, ac->send.a) ;
  stralloc_free(&ac->send) ;
  explicit_bzero(ac->outbuf, sizeof(ac->outbuf)) ;
}

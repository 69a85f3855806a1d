/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/authclient-internal.h"

/* A response that cannot be sent ends the exchange (RFC 4954: the
 * client's bad response cancels it), and the request open in authd can
 * only be dropped with the connection. */

int authclient_cont (authclient *ac, char const *resp, size_t resplen, authclient_reply *r, tain const *deadline)
{
  char fmt[UINT32_FMT] ;
  if (ac->fd < 0) return (errno = ENOTCONN, 0) ;
  if (!ac->id) return (errno = EINVAL, 0) ;
  ac->send.len = 0 ;
  if (!stralloc_cats(&ac->send, "CONT\t")
   || !stralloc_catb(&ac->send, fmt, uint32_fmt(fmt, ac->id))
   || !stralloc_catb(&ac->send, "\t", 1)
   || !authclient_escape_cat(&ac->send, resp, resplen)) goto err ;
  if (ac->send.len > AUTHCLIENT_SEND_MAX) { errno = EMSGSIZE ; goto err ; }
  return authclient_exchange(ac, r, deadline) ;
 err:
  {
    int e = errno ;
    if (ac->send.s) explicit_bzero(ac->send.s, ac->send.len) ;
    ac->send.len = 0 ;
    authclient_close(ac) ;
    errno = e ;
  }
  return 0 ;
}

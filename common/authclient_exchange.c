/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/lineio.h"
#include "common/authclient-internal.h"

int authclient_exchange (authclient *ac, authclient_reply *r, tain const *deadline)
{
  size_t len ;
  int type ;
  int ok = stralloc_catb(&ac->send, "\n", 1) && lineio_put(&ac->out, ac->send.s, ac->send.len, deadline) ;
  /* The line carried the client's credentials: wipe every copy. */
  if (ac->send.s) explicit_bzero(ac->send.s, ac->send.len) ;
  ac->send.len = 0 ;
  explicit_bzero(ac->outbuf, sizeof(ac->outbuf)) ;
  if (!ok || !authclient_getline(ac, &len, deadline)) goto err ;
  type = authclient_reply_parse(ac->line, len, ac->id, r) ;
  if (!type) goto err ;
  if (type != AUTHCLIENT_CONT) ac->id = 0 ;
  return type ;
 err:
  {
    int e = errno ;
    authclient_close(ac) ;
    errno = e ;
  }
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/authclient-internal.h"

/* AUTH <id> <mech> service=<s> [secured] [rip=..] [lip=..] [resp=..] [ticket]
 * (authd/README.md). Nothing is sent when a value is unusable, and the
 * connection then stays as it was. */

static int cat_param (stralloc *sa, char const *name, char const *v, size_t len)
{
  return stralloc_catb(sa, "\t", 1) && stralloc_cats(sa, name) && authclient_escape_cat(sa, v, len) ;
}

int authclient_auth (authclient *ac, authclient_request const *q, char const *resp, size_t resplen, authclient_reply *r, tain const *deadline)
{
  char fmt[UINT32_FMT] ;
  uint32_t id ;
  if (ac->fd < 0) return (errno = ENOTCONN, 0) ;
  if (ac->id || !q->mech || !q->mech[0] || !q->service || !q->service[0]) return (errno = EINVAL, 0) ;
  id = ac->lastid + 1 ;
  if (!id) id = 1 ;
  ac->send.len = 0 ;
  if (!stralloc_cats(&ac->send, "AUTH\t")
   || !stralloc_catb(&ac->send, fmt, uint32_fmt(fmt, id))
   || !stralloc_catb(&ac->send, "\t", 1)
   || !authclient_escape_cat(&ac->send, q->mech, strlen(q->mech))
   || !cat_param(&ac->send, "service=", q->service, strlen(q->service))
   || (q->secured && !stralloc_cats(&ac->send, "\tsecured"))
   || (q->ticket && !stralloc_cats(&ac->send, "\tticket"))
   || (q->rip && !cat_param(&ac->send, "rip=", q->rip, strlen(q->rip)))
   || (q->lip && !cat_param(&ac->send, "lip=", q->lip, strlen(q->lip)))
   || (resp && !cat_param(&ac->send, "resp=", resp, resplen))) goto err ;
  if (ac->send.len > AUTHCLIENT_SEND_MAX) { errno = EMSGSIZE ; goto err ; }
  ac->lastid = ac->id = id ;
  return authclient_exchange(ac, r, deadline) ;
 err:
  {
    int e = errno ;
    if (ac->send.s) explicit_bzero(ac->send.s, ac->send.len) ;
    ac->send.len = 0 ;
    errno = e ;
  }
  return 0 ;
}

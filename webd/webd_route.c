/* ISC license. */

/* The web face's routes. Paths are compared exactly (no decoding, no
 * normalisation: a path that is not one of these is a 404), except
 * autodiscover's, which Outlook writes in either case. */

#include <string.h>

#include <skalibs/bytestr.h>

#include "webd.h"

static int path_is (webd_req const *q, char const *p)
{
  size_t n = strlen(p) ;
  return q->r->pathlen == n && !memcmp(q->head + q->r->path, p, n) ;
}

void webd_route (webd_req const *q, webd_response *resp)
{
  int post_ok = 0 ;
  void (*handler) (webd_req const *, webd_response *) = 0 ;
  if (q->r->method == HTTP_OTHER) { webd_error(resp, 501) ; return ; }
  if (path_is(q, "/.well-known/mta-sts.txt")) handler = &webd_mtasts ;
  else if (path_is(q, "/mail/config-v1.1.xml") || path_is(q, "/.well-known/autoconfig/mail/config-v1.1.xml"))
    handler = &webd_autoconfig ;
  else if (q->r->pathlen == 30 && !case_diffb(q->head + q->r->path, 30, "/autodiscover/autodiscover.xml"))
  {
    handler = &webd_autodiscover ;
    post_ok = 1 ;
  }
  if (!handler) { webd_error(resp, 404) ; return ; }
  if (q->r->method == HTTP_POST && !post_ok)
  {
    webd_error(resp, 405) ;
    resp->allow = "GET, HEAD" ;
    return ;
  }
  (*handler)(q, resp) ;
}

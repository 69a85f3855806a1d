/* ISC license. */

/* The MTA-STS policy (RFC 8461 §3.2), served at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt for every local
 * domain (domains.cdb). Senders fetch it only over HTTPS with a
 * certificate valid for mta-sts.<domain> (§3.3), so over plain HTTP
 * there is none (404): a policy fetched without TLS would be worth
 * nothing. The policy's text is common/mtasts.h's (PH_MTA_STS_MODE,
 * PH_MTA_STS_MX, PH_MTA_STS_MAX_AGE), the same that `mailctl dns` hashes
 * into the _mta-sts TXT record's id (§3.1). */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "common/mtasts.h"
#include "webd.h"

void webd_mtasts (webd_req const *q, webd_response *resp)
{
  char const *why = 0 ;
  int local, r ;
  if (!q->tls || strncmp(q->r->host, "mta-sts.", 8)) { webd_error(resp, 404) ; return ; }
  local = webd_domain_local(q->r->host + 8) ;
  if (local < 0) { webd_error(resp, 503) ; return ; }
  if (!local) { webd_error(resp, 404) ; return ; }
  resp->status = 200 ;
  resp->ctype = "text/plain; charset=utf-8" ;
  r = mtasts_policy(&resp->body, config_hostname(), &why) ;
  if (r < 0) strerr_dief1x(100, why) ;
  if (!r) strerr_diefu1sys(111, "allocate memory") ;
}

/* ISC license. */

/* The MTA-STS policy (RFC 8461 §3.2), served at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt for every local
 * domain (domains.cdb). Senders fetch it only over HTTPS with a
 * certificate valid for mta-sts.<domain> (§3.3), so over plain HTTP
 * there is none (404): a policy fetched without TLS would be worth
 * nothing.
 *   version: STSv1
 *   mode: PH_MTA_STS_MODE (testing | enforce | none; default testing)
 *   mx: each of PH_MTA_STS_MX (names or "*." patterns, separated by
 *       commas or spaces; default the host name)
 *   max_age: PH_MTA_STS_MAX_AGE (seconds, at most 31557600; default
 *       604800, one week)
 * The policy must match the _mta-sts TXT record's id (§3.1): publish a
 * new id whenever these settings change. */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/addr.h"
#include "common/config.h"
#include "webd.h"

#define MAX_AGE_MAX 31557600   /* RFC 8461 §3.2 */

static void mx_line (stralloc *sa, char const *name, size_t n)
{
  size_t skip = n > 2 && name[0] == '*' && name[1] == '.' ? 2 : 0 ;
  if (!n || n > 253 || !addr_domain_valid(name + skip, n - skip, 0))
  {
    char tmp[256] ;
    memcpy(tmp, name, n > 255 ? 255 : n) ;
    tmp[n > 255 ? 255 : n] = 0 ;
    strerr_dief2x(100, "PH_MTA_STS_MX holds a bad name: ", tmp) ;
  }
  webd_cats(sa, "mx: ") ;
  webd_catb(sa, name, n) ;
  webd_cats(sa, "\r\n") ;
}

void webd_mtasts (webd_req const *q, webd_response *resp)
{
  char const *mode = config_get_default("PH_MTA_STS_MODE", "testing") ;
  char const *mx = config_get("PH_MTA_STS_MX") ;
  uint64_t max_age ;
  int local ;
  if (!q->tls || strncmp(q->r->host, "mta-sts.", 8)) { webd_error(resp, 404) ; return ; }
  local = webd_domain_local(q->r->host + 8) ;
  if (local < 0) { webd_error(resp, 503) ; return ; }
  if (!local) { webd_error(resp, 404) ; return ; }
  if (strcmp(mode, "testing") && strcmp(mode, "enforce") && strcmp(mode, "none"))
    strerr_dief2x(100, "PH_MTA_STS_MODE must be testing, enforce or none, not ", mode) ;
  if (!config_get_uint("PH_MTA_STS_MAX_AGE", 604800, &max_age) || max_age > MAX_AGE_MAX)
    strerr_dief1x(100, "PH_MTA_STS_MAX_AGE must be a number of seconds up to 31557600") ;
  resp->status = 200 ;
  resp->ctype = "text/plain; charset=utf-8" ;
  webd_cats(&resp->body, "version: STSv1\r\nmode: ") ;
  webd_cats(&resp->body, mode) ;
  webd_cats(&resp->body, "\r\n") ;
  if (!mx) mx_line(&resp->body, config_hostname(), strlen(config_hostname())) ;
  else
  {
    char const *s = mx ;
    while (*s)
    {
      size_t n ;
      while (*s == ',' || *s == ' ') s++ ;
      n = strcspn(s, ", ") ;
      if (n) mx_line(&resp->body, s, n) ;
      s += n ;
    }
  }
  webd_cats(&resp->body, "max_age: ") ;
  webd_catu(&resp->body, max_age) ;
  webd_cats(&resp->body, "\r\n") ;
}

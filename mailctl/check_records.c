/* ISC license. */

/* mailctl check: the domain's MX and DMARC records. */

#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/dkim.h"
#include "common/dns.h"
#include "check.h"

void check_mx (mccheck *c, char const *domain)
{
  dns_query q = DNS_QUERY_ZERO ;
  size_t pos = 0, len ;
  char const *rd ;
  int st = check_ask(c, &q, domain, DNS_T_MX), ours = 0 ;
  if (st == DNS_NODATA || st == DNS_NXDOMAIN)
    check_say(c, "The domain ", domain, " has no MX record: publish one naming ", c->host, ".") ;
  else if (st != DNS_OK) check_temporary(c, "the MX records", domain, st) ;
  else
  {
    while (dns_record_next(&q, &pos, &rd, &len))
    {
      uint16_t pref ;
      char exchange[DNS_NAME_MAX + 1] ;
      if (dns_mx_unpack(rd, len, &pref, exchange) && !strcmp(exchange, c->host)) ours = 1 ;
    }
    if (!ours) check_say(c, "No MX record of ", domain, " names this host, ", c->host, ".") ;
  }
  dns_query_free(&q) ;
}

/* RFC 7489 §6.6.3: among the TXT records at _dmarc.<domain>, the one
 * that starts with "v=DMARC1"; none, or more than one, is no policy. */
void check_dmarc (mccheck *c, char const *domain)
{
  stralloc name = STRALLOC_ZERO ;
  dns_query q = DNS_QUERY_ZERO ;
  size_t pos = 0, len ;
  char const *rd ;
  unsigned int found = 0 ;
  int st ;
  if (!stralloc_cats(&name, "_dmarc.") || !stralloc_cats(&name, domain) || !stralloc_0(&name))
    strerr_diefu1sys(111, "allocate memory") ;
  st = check_ask(c, &q, name.s, DNS_T_TXT) ;
  if (st != DNS_OK && st != DNS_NODATA && st != DNS_NXDOMAIN)
  {
    check_temporary(c, "the DMARC record", name.s, st) ;
    goto end ;
  }
  while (dns_record_next(&q, &pos, &rd, &len))
  {
    stralloc txt = STRALLOC_ZERO ;
    if (dkim_txt_join(rd, len, &txt) && txt.len >= 8 && !memcmp(txt.s, "v=DMARC1", 8)
     && (txt.len == 8 || txt.s[8] == ';' || txt.s[8] == ' ' || txt.s[8] == '\t'))
      found++ ;
    stralloc_free(&txt) ;
  }
  if (!found)
    check_say(c, "The domain ", domain, " publishes no DMARC record (a TXT record \"v=DMARC1; p=...\" at ", name.s, ").") ;
  else if (found > 1)
    check_say(c, "The domain ", domain, " publishes more than one DMARC record at ", name.s, ", so receivers apply none.") ;
 end:
  dns_query_free(&q) ;
  stralloc_free(&name) ;
}

/* ISC license. */

#include <string.h>

#include <skalibs/tai.h>

#include "common/config.h"
#include "common/dns.h"
#include "common/log.h"
#include "policyd.h"
#include "spam.h"

/* Refusal at RCPT of a client on a DNSBL (PH_DNSBL_REJECT=1, zones of
 * PH_DNSBL_ZONES, RFC 5782 §2.1): the envelope alone proves the abuse,
 * so the mail is never taken (no bounce to a forged sender later). The
 * text is Postfix's reject_rbl_client one. Without PH_DNSBL_REJECT the
 * listing is only scored, by policyd-spam. Any failure (bad setting,
 * resolver down, timeout) lets the mail through: policyd-spam will
 * still score it. */

static int loaded, reject ;
static spam_zone zones[SPAM_ZONES_MAX] ;
static unsigned int nzones ;
static uint64_t timeout_ms ;
static char last_ip[64] ;
static char last_zone[DNS_NAME_MAX + 1] ;   /* "" not listed */
static dns resolver = DNS_ZERO ;
static int resolver_ready ;

static void load (void)
{
  int ok = config_get_bool("PH_DNSBL_REJECT", 0, &reject) ;
  loaded = 1 ;
  if (!ok || !spam_zones_parse(config_get("PH_DNSBL_ZONES"), zones, SPAM_ZONES_MAX, &nzones)
   || !config_get_uint("PH_SPAM_DNS_TIMEOUT_MS", 5000, &timeout_ms) || !timeout_ms || timeout_ms > 60000)
  {
    log_event1("dnsbl_config_error", "setting", "PH_DNSBL_REJECT, PH_DNSBL_ZONES or PH_SPAM_DNS_TIMEOUT_MS") ;
    reject = 0 ;
  }
}

static void make_action (char *action, size_t max, char const *ip, char const *zone)
{
  char const *parts[5] = { "554 5.7.1 Service unavailable; client [", ip, "] blocked using ", zone, 0 } ;
  size_t n = 0 ;
  for (unsigned int i = 0 ; parts[i] ; i++)
    for (char const *s = parts[i] ; *s && n + 1 < max ; s++) action[n++] = *s ;
  action[n] = 0 ;
}

int policy_dnsbl_check (char const *ip, char *action, size_t max)
{
  static char names[SPAM_ZONES_MAX][DNS_NAME_MAX + 1] ;
  dns_query q[SPAM_ZONES_MAX] ;
  tain deadline, ms ;
  size_t iplen ;
  int listed = 0 ;
  if (!loaded) load() ;
  if (!reject || !nzones || !ip || !*ip) return 0 ;
  iplen = strlen(ip) ;
  if (iplen < sizeof(last_ip) && !strcmp(ip, last_ip))
  {
    if (!last_zone[0]) return 0 ;
    make_action(action, max, ip, last_zone) ;
    return 1 ;
  }
  for (unsigned int i = 0 ; i < nzones ; i++)
  {
    if (!spam_dnsbl_name(names[i], ip, zones[i].name)) return 0 ;   /* not an address */
    dns_query_init(&q[i], names[i], DNS_T_A) ;
  }
  if (!resolver_ready)
  {
    if (!policy_dns_init(&resolver))
    {
      log_event2("dnsbl_unavailable", "ip", ip, "reason", "resolver set-up failed") ;
      return 0 ;
    }
    resolver_ready = 1 ;
  }
  tain_now_g() ;
  tain_from_millisecs(&ms, (int)timeout_ms) ;
  tain_add_g(&deadline, &ms) ;
  if (!dns_run(&resolver, q, nzones, &deadline))
  {
    log_event2("dnsbl_unavailable", "ip", ip, "reason", "lookup failed") ;
    return 0 ;
  }
  last_zone[0] = 0 ;
  for (unsigned int i = 0 ; i < nzones && !listed ; i++)
  {
    char code[16] ;
    if (!spam_zone_listed(&zones[i], &q[i], code)) continue ;
    listed = 1 ;
    memcpy(last_zone, zones[i].name, strlen(zones[i].name) + 1) ;
    make_action(action, max, ip, zones[i].name) ;
    log_event3("dnsbl_reject", "ip", ip, "zone", zones[i].name, "code", code) ;
  }
  {
    int complete = 1 ;
    for (unsigned int i = 0 ; i < nzones ; i++)
    {
      if (q[i].status == DNS_TIMEOUT || q[i].status == DNS_TEMPFAIL) complete = 0 ;
      dns_query_free(&q[i]) ;
    }
    /* remember the answer for the next RCPT, unless it was partial */
    if ((listed || complete) && iplen < sizeof(last_ip)) memcpy(last_ip, ip, iplen + 1) ;
  }
  return listed ;
}

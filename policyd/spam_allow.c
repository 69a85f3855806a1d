/* ISC license. */

#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "policyd.h"
#include "spam.h"

/* Allow-lists (docs/spam.md, "Allow-lists"): mail whose envelope sender
 * is one of PH_SPAM_ALLOW_SENDERS, or whose sender domain is (or is
 * under) one of PH_SPAM_ALLOW_DOMAINS, or whose client address is in
 * PH_SPAM_ALLOW_NETS (CIDR blocks, as PH_SPF_SKIP_ADDRESSES), gets
 * USER_IN_ALLOWLIST and nothing else is checked. A sender address is
 * anyone's to forge: list senders only when their domain's SPF/DMARC
 * refusals are on, and prefer networks. Lists are separated by commas
 * or white space, compared ignoring ASCII case. */

static int is_sep (char c)
{
  return c == ',' || c == ' ' || c == '\t' || c == '\n' ;
}

static int list_has (char const *list, char const *s, size_t n, int suffix)
{
  size_t i = 0, len = list ? strlen(list) : 0 ;
  while (i < len)
  {
    size_t start, l ;
    while (i < len && is_sep(list[i])) i++ ;
    start = i ;
    while (i < len && !is_sep(list[i])) i++ ;
    l = i - start ;
    if (!l) continue ;
    if (l == n && !strncasecmp(list + start, s, n)) return 1 ;
    /* a domain covers its subdomains: "example.org" matches "mx.example.org" */
    if (suffix && n > l && s[n - l - 1] == '.' && !strncasecmp(list + start, s + n - l, l)) return 1 ;
  }
  return 0 ;
}

int spam_list_match_address (char const *list, char const *addr)
{
  return addr && *addr && list_has(list, addr, strlen(addr), 0) ;
}

int spam_list_match_domain (char const *list, char const *addr)
{
  char const *at ;
  if (!addr) return 0 ;
  at = strrchr(addr, '@') ;
  if (!at || !at[1]) return 0 ;
  return list_has(list, at + 1, strlen(at + 1), 1) ;
}

int spam_allowed (spam_settings const *set, spam const *s)
{
  if (set->allow_senders && spam_list_match_address(set->allow_senders, s->sender)) return 1 ;
  if (set->allow_domains && spam_list_match_domain(set->allow_domains, s->sender)) return 1 ;
  if (set->allow_nets && s->ip && *s->ip)
  {
    int r = policy_skip_match(set->allow_nets, s->ip) ;
    if (r < 0)
    {
      log_event1("spam_config_error", "setting", "PH_SPAM_ALLOW_NETS") ;
      return 0 ;
    }
    if (r) return 1 ;
  }
  return 0 ;
}

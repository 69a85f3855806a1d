/* ISC license. */

#include <string.h>
#include <strings.h>

#include "spam.h"

/* The HELO/EHLO name (RFC 5321 §4.1.1.1: the client's fully qualified
 * domain name, or an address literal when it has none). Mail servers
 * have a name; bots say an address, a bare word, or our own name. */

static int loopback (char const *ip)
{
  return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") ;
}

void spam_check_helo (spam_settings const *set, spam *s)
{
  char const *h = s->helo ;
  size_t n ;
  char a[16] ;
  if (!h || !*h) return ;
  n = strlen(h) ;
  if (h[0] == '[' || spam_ip_parse(h, a)) spam_hit_add(s, "HELO_BARE_IP") ;
  else if (!memchr(h, '.', n) || (h[n - 1] == '.' && !memchr(h, '.', n - 1))) spam_hit_add(s, "HELO_NOT_FQDN") ;
  else if (!strcasecmp(h, set->hostname) && s->ip && *s->ip && !loopback(s->ip)) spam_hit_add(s, "HELO_OURS") ;
}

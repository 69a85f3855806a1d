/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/ip46.h>
#include <skalibs/types.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/idna.h"
#include "remote_route.h"

 /* docker-mailserver's relay setup (target/scripts/helpers/relay.sh),
    which we follow so that its config folder works unchanged:
    - DEFAULT_RELAY_HOST is Postfix's relayhost: every message, in
      Postfix next-hop syntax;
    - RELAY_HOST (+ RELAY_PORT, default 25) becomes "[RELAY_HOST]:PORT"
      in sender_dependent_relayhost_maps for every sender domain of
      postfix-accounts.cf and postfix-virtual.cf (our domains.cdb),
      except the domains that postfix-relaymap.cf lists alone
      ("@domain": excluded); that file's "@domain [host]:port" lines
      (or "user@domain ...") map senders to their own relay first;
    - postfix-sasl-password.cf: "@domain user:pass" or "user@domain
      user:pass" (by sender), "[host]:port user:pass" (by relay), and
      RELAY_USER / RELAY_PASSWORD for [RELAY_HOST]:RELAY_PORT.
    Postfix's order: the sender-dependent relay, then relayhost, then
    the recipient's MX. The null sender has no sender-dependent relay.
    Credentials are only ever given to a relay, never to an MX host. */

static int name_valid (char const *s, size_t len)
{
  size_t label = 0 ;
  if (!len || len > DNS_NAME_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (c == '.')
    {
      if (!label) return 0 ;
      label = 0 ;
      continue ;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0 ;
    if (++label > 63) return 0 ;
  }
  return 1 ;
}

static void lower_copy (char *out, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i] ;
  out[len] = 0 ;
}

 /* r->why = prefix then text, cut to fit. */
static void set_why (remote_route *r, char const *prefix, char const *text)
{
  size_t w = 0 ;
  for (; *prefix && w + 1 < sizeof(r->why) ; prefix++) r->why[w++] = *prefix ;
  for (; *text && w + 1 < sizeof(r->why) ; text++) r->why[w++] = *text ;
  r->why[w] = 0 ;
}

 /* An address literal: "1.2.3.4", "::1", "ipv6:::1" (Postfix) or
    "IPv6:::1" (RFC 5321 4.1.3). */
static int literal (char const *s, size_t len, ip46 *ip)
{
  char buf[DNS_NAME_MAX + 1] ;
  size_t n ;
  if (len >= 5 && !case_diffb(s, 5, "ipv6:")) { s += 5 ; len -= 5 ; if (!memchr(s, ':', len)) return 0 ; }
  if (!len || len > DNS_NAME_MAX) return 0 ;
  memcpy(buf, s, len) ;
  buf[len] = 0 ;
  n = ip46_scan(buf, ip) ;
  return n == len ;
}

int remote_nexthop_parse (char const *s, remote_route *r)
{
  char const *h = s ;
  char const *portp = 0 ;
  size_t hl ;
  r->why[0] = 0 ;
  r->mx = 1 ;
  r->literal = 0 ;
  r->port = 0 ;
  if (s[0] == '[')
  {
    char const *end = strchr(s, ']') ;
    if (!end) return 0 ;
    h = s + 1 ;
    hl = end - h ;
    r->mx = 0 ;
    if (end[1] == ':') portp = end + 2 ;
    else if (end[1]) return 0 ;
  }
  else
  {
    char const *colon = strchr(s, ':') ;
    hl = colon ? (size_t)(colon - s) : strlen(s) ;
    if (colon) portp = colon + 1 ;
  }
  if (portp)
  {
    uint16_t port ;
    if (!uint160_scan(portp, &port) || !port) return 0 ;
    r->port = port ;
  }
  if (!r->mx && literal(h, hl, &r->ip))
  {
    r->literal = 1 ;
    r->host[ip46_fmt(r->host, &r->ip)] = 0 ;
    return 1 ;
  }
  if (idna_has_nonascii(h, hl))
  {
    char alabel[DNS_NAME_MAX + 1] ;
    char const *why ;
    size_t n = idna_domain_to_ascii(h, hl, alabel, sizeof(alabel), &why) ;
    if (!n) { set_why(r, "", why) ; return 0 ; }
    if (!name_valid(alabel, n)) return 0 ;
    lower_copy(r->host, alabel, n) ;
    return 1 ;
  }
  if (!name_valid(h, hl)) return 0 ;
  lower_copy(r->host, h, hl) ;
  if (r->mx)
  {
    ip46 ip ;
    if (literal(h, hl, &ip)) { r->mx = 0 ; r->literal = 1 ; r->ip = ip ; }
  }
  return 1 ;
}

static int path_of (char *out, size_t max, char const *dir, char const *file)
{
  size_t dl = strlen(dir), fl = strlen(file) ;
  if (dl + fl + 2 > max) return 0 ;
  memcpy(out, dir, dl) ;
  out[dl] = '/' ;
  memcpy(out + dl + 1, file, fl + 1) ;
  return 1 ;
}

 /* sender, then "@domain": Postfix's lookup order for a sender address
    in a texthash table. */
static int by_sender (char const *path, char const *sender, char const *sd, char *value, size_t max)
{
  char key[REMOTE_NEXTHOP_MAX + 2] ;
  size_t n = strlen(sd) ;
  int r = remote_map_find(path, sender, value, max) ;
  if (r) return r ;
  if (n + 2 > sizeof(key)) return 0 ;
  key[0] = '@' ;
  memcpy(key + 1, sd, n + 1) ;
  return remote_map_find(path, key, value, max) ;
}

static int env_relay (char *out, size_t max)
{
  char const *host = config_get("RELAY_HOST") ;
  char const *port = config_get_default("RELAY_PORT", "25") ;
  size_t hl, pl ;
  if (!host) return 0 ;
  hl = strlen(host) ;
  pl = strlen(port) ;
  if (hl + pl + 4 > max) return -1 ;
  out[0] = '[' ;
  memcpy(out + 1, host, hl) ;
  out[hl + 1] = ']' ;
  out[hl + 2] = ':' ;
  memcpy(out + hl + 3, port, pl + 1) ;
  return 1 ;
}

static int sender_domain_local (cdbmap *domains, char const *sd, char const **why)
{
  char key[DNS_NAME_MAX + 1] ;
  cdb_data data ;
  size_t n = strlen(sd) ;
  int r ;
  if (n > DNS_NAME_MAX) return 0 ;
  lower_copy(key, sd, n) ;
  r = cdbmap_find(domains, key, n, &data) ;
  if (r < 0) { *why = "4.3.0 unable to read domains.cdb" ; return -1 ; }
  if (!domains->present) { *why = "4.3.0 domains.cdb missing: RELAY_HOST needs it" ; return -1 ; }
  return r ;
}

static int credentials (remote_conf const *c, char const *sender, char const *sd, remote_route *r, char const **why)
{
  char path[4096] ;
  char value[2 * REMOTE_CRED_MAX + 2] ;
  char envrelay[REMOTE_NEXTHOP_MAX + 1] ;
  int found = 0 ;
  r->auth = 0 ;
  if (c->config_dir)
  {
    if (!path_of(path, sizeof(path), c->config_dir, "postfix-sasl-password.cf")) { *why = "4.3.5 PH_CONFIG_DIR too long" ; return 0 ; }
    if (sd) found = by_sender(path, sender, sd, value, sizeof(value)) ;
    if (!found) found = remote_map_find(path, r->nexthop, value, sizeof(value)) ;
    if (found < 0) { *why = "4.3.5 unable to read postfix-sasl-password.cf" ; return 0 ; }
  }
  if (!found)
  {
    char const *user = config_get("RELAY_USER") ;
    char const *pass = config_get("RELAY_PASSWORD") ;
    int e = env_relay(envrelay, sizeof(envrelay)) ;
    if (e > 0 && user && pass && !case_diffs(envrelay, r->nexthop))
    {
      size_t ul = strlen(user), pl = strlen(pass) ;
      if (ul > REMOTE_CRED_MAX || pl > REMOTE_CRED_MAX) { *why = "4.3.5 RELAY_USER or RELAY_PASSWORD too long" ; return 0 ; }
      memcpy(r->user, user, ul + 1) ;
      memcpy(r->pass, pass, pl + 1) ;
      r->auth = 1 ;
    }
    return 1 ;
  }
  {
    char const *colon = strchr(value, ':') ;
    size_t ul = colon ? (size_t)(colon - value) : 0 ;
    if (!colon || !ul || ul > REMOTE_CRED_MAX || strlen(colon + 1) > REMOTE_CRED_MAX)
    {
      *why = "4.3.5 invalid entry in postfix-sasl-password.cf (user:password)" ;
      return 0 ;
    }
    memcpy(r->user, value, ul) ;
    r->user[ul] = 0 ;
    memcpy(r->pass, colon + 1, strlen(colon + 1) + 1) ;
    r->auth = 1 ;
  }
  return 1 ;
}

static void set_key (remote_route *r, char const *kind, char const *name)
{
  size_t kl = strlen(kind), nl = strlen(name) ;
  if (kl + nl + 1 > sizeof(r->key)) nl = sizeof(r->key) - kl - 1 ;
  memcpy(r->key, kind, kl) ;
  memcpy(r->key + kl, name, nl) ;
  r->key[kl + nl] = 0 ;
}

int remote_route_find (remote_conf const *c, cdbmap *domains, char const *sender, char const *domain, remote_route *r, char const **why)
{
  char path[4096] ;
  char const *at = strrchr(sender, '@') ;
  char const *sd = at && at[1] ? at + 1 : 0 ;
  int found = 0, excluded = 0 ;
  memset(r, 0, sizeof(*r)) ;

  if (sd && c->config_dir)
  {
    int k ;
    if (!path_of(path, sizeof(path), c->config_dir, "postfix-relaymap.cf")) { *why = "4.3.5 PH_CONFIG_DIR too long" ; return 0 ; }
    k = by_sender(path, sender, sd, r->nexthop, sizeof(r->nexthop)) ;
    if (k < 0) { *why = "4.3.5 unable to read postfix-relaymap.cf" ; return 0 ; }
    if (k > 0)
    {
      if (r->nexthop[0]) found = 1 ;
      else excluded = 1 ;
    }
  }
  if (!found && !excluded && sd && config_get("RELAY_HOST"))
  {
    int k = sender_domain_local(domains, sd, why) ;
    if (k < 0) return 0 ;
    if (k)
    {
      if (env_relay(r->nexthop, sizeof(r->nexthop)) < 0) { *why = "4.3.5 RELAY_HOST too long" ; return 0 ; }
      found = 1 ;
    }
  }
  if (!found)
  {
    char const *def = config_get("DEFAULT_RELAY_HOST") ;
    if (def)
    {
      size_t n = strlen(def) ;
      if (n > REMOTE_NEXTHOP_MAX) { *why = "4.3.5 DEFAULT_RELAY_HOST too long" ; return 0 ; }
      memcpy(r->nexthop, def, n + 1) ;
      found = 1 ;
    }
  }

  if (found)
  {
    if (!remote_nexthop_parse(r->nexthop, r))
    {
      if (r->why[0])
      {
        char reason[REMOTE_WHY_MAX] ;
        memcpy(reason, r->why, sizeof(reason)) ;
        set_why(r, "4.3.5 invalid relay host in the configuration: its name cannot be converted to A-labels (RFC 5891): ", reason) ;
        *why = r->why ;
      }
      else *why = "4.3.5 invalid relay host in the configuration" ;
      return 0 ;
    }
    r->relay = 1 ;
    if (!credentials(c, sender, sd, r, why)) return 0 ;
    set_key(r, "relay:", r->nexthop) ;
    return 1 ;
  }

   /* Direct: the recipient domain's MX hosts, or an address literal
      (RFC 5321 4.1.3: "[192.0.2.1]", "[IPv6:2001:db8::1]"). */
  {
    size_t n = strlen(domain) ;
    r->relay = 0 ;
    if (domain[0] == '[')
    {
      if (n < 3 || domain[n - 1] != ']' || !literal(domain + 1, n - 2, &r->ip))
      {
        *why = "5.1.2 invalid address literal" ;
        return -1 ;
      }
      r->literal = 1 ;
      r->mx = 0 ;
      r->host[ip46_fmt(r->host, &r->ip)] = 0 ;
    }
    else
    {
      char alabel[DNS_NAME_MAX + 1] ;
      char const *name = domain ;
       /* RFC 5891 5.4: a U-label goes to the DNS as its A-label */
      if (idna_has_nonascii(domain, n))
      {
        char const *reason ;
        n = idna_domain_to_ascii(domain, n, alabel, sizeof(alabel), &reason) ;
        if (!n)
        {
          set_why(r, "5.1.2 invalid internationalized domain name, it cannot be converted to A-labels (RFC 5891): ", reason) ;
          *why = r->why ;
          return -1 ;
        }
        name = alabel ;
      }
      if (!name_valid(name, n)) { *why = "5.1.2 invalid domain name" ; return -1 ; }
      lower_copy(r->host, name, n) ;
      r->mx = 1 ;
    }
    set_key(r, "mx:", r->host) ;
  }
  return 1 ;
}

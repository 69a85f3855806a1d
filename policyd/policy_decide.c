/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "common/spf.h"
#include "policyd.h"
#include "spam.h"

/* One RCPT request: SPF for (client_address, helo_name, sender), then
 * the action (Postfix access(5) syntax, SMTPD_POLICY_README):
 *   fail       550 5.7.23 <exp= text or ours>   with PH_SPF_REJECT_FAIL=1
 *   temperror  451 4.7.24 ...                   with PH_SPF_DEFER_TEMPERROR=1
 *   otherwise  PREPEND Received-SPF: ...        with PH_SPF_PREPEND=1 (once per
 *              message: Postfix asks once per recipient), else DUNNO.
 * RFC 7372 §3.2 gives 5.7.23 ("SPF validation failed") and 4.7.24 ("SPF
 * validation error"). Anything that is not a well-formed RCPT request
 * for an address we may check gets DUNNO: policyd only ever narrows. */

static void copy_action (char *action, size_t max, char const *a, char const *b, char const *c)
{
  size_t n = 0 ;
  char const *parts[3] = { a, b, c } ;
  for (unsigned int i = 0 ; i < 3 ; i++)
    for (char const *s = parts[i] ; s && *s && n < max - 1 ; s++)
      action[n++] = (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s ;
  action[n] = 0 ;
}

static size_t make_key (char *key, policy_request const *r)
{
  char const *f[3] = { r->client_address, r->helo_name ? r->helo_name : "", r->sender ? r->sender : "" } ;
  size_t n = 0 ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    size_t l = strlen(f[i]) ;
    if (n + l + 1 > POLICY_KEY_MAX) return 0 ;
    memcpy(key + n, f[i], l + 1) ;
    n += l + 1 ;
  }
  return n ;
}

/* The cache key is the whole sender, not only its domain: a record may
 * use the local part (%{l}, %{s}), and Postfix's several recipients of
 * one message all carry the same sender anyway. */
static spf_answer const *lookup (policy_settings const *set, policy_conn *c, policy_request const *r, spf_query const *q, int *cached)
{
  static spf_answer fresh ;
  char key[POLICY_KEY_MAX] ;
  size_t keylen = make_key(key, r) ;
  tain deadline ;
  *cached = 0 ;
  if (keylen)
    for (unsigned int i = 0 ; i < POLICY_CACHE_MAX ; i++)
      if (c->cache[i].keylen == keylen && !memcmp(c->cache[i].key, key, keylen))
      {
        *cached = 1 ;
        return &c->cache[i].answer ;
      }
  if (!c->dnsready)
  {
    if (!policy_dns_init(&c->d))
    {
      memset(&fresh, 0, sizeof(fresh)) ;
      fresh.result = SPF_TEMPERROR ;
      memcpy(fresh.problem, "resolver unavailable", 21) ;
      return &fresh ;   /* not cached: the next request tries again */
    }
    c->dnsready = 1 ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, set->timeout) ;
  spf_check(&c->d, q, &fresh, &deadline) ;
  if (!keylen) return &fresh ;
  {
    policy_cache *slot = &c->cache[c->next] ;
    c->next = (c->next + 1) % POLICY_CACHE_MAX ;
    memcpy(slot->key, key, keylen) ;
    slot->keylen = keylen ;
    slot->answer = fresh ;
    return &slot->answer ;
  }
}

static void logit (policy_request const *r, spf_answer const *a, char const *action, int cached)
{
  logline l ;
  log_begin(&l, "spf") ;
  log_kv(&l, "ip", r->client_address) ;
  log_kv(&l, "helo", r->helo_name) ;
  log_kv(&l, "sender", r->sender) ;
  if (r->recipient) log_kv(&l, "rcpt", r->recipient) ;
  if (r->instance) log_kv(&l, "instance", r->instance) ;
  log_kv(&l, "result", spf_result_name(a->result)) ;
  log_kv(&l, "identity", a->identity == SPF_ID_HELO ? "helo" : "mailfrom") ;
  log_kv(&l, "domain", a->domain) ;
  if (a->mechanism[0]) log_kv(&l, "mechanism", a->mechanism) ;
  if (a->problem[0]) log_kv(&l, "problem", a->problem) ;
  if (cached) log_kv(&l, "cached", "1") ;
  log_kvn(&l, "action", action, strcspn(action, " ")) ;
  log_commit(&l) ;
}

void policy_decide (policy_settings const *set, policy_conn *c, policy_request const *r, char *action, size_t max)
{
  static stralloc hdr = STRALLOC_ZERO ;
  spf_query q = { .ip = r->client_address, .helo = r->helo_name && r->helo_name[0] ? r->helo_name : 0, .sender = r->sender, .receiver = set->receiver } ;
  spf_answer const *a ;
  int cached ;
  copy_action(action, max, "DUNNO", 0, 0) ;
  if (!r->request || strcmp(r->request, "smtpd_access_policy"))
  {
    log_event2("policy_ignored", "reason", "not an smtpd_access_policy request", "request", r->request) ;
    return ;
  }
  if (!r->protocol_state || strcasecmp(r->protocol_state, "RCPT")) return ;
  if (!r->client_address || !r->client_address[0] || !strcmp(r->client_address, "unknown")) return ;
  if (policy_dnsbl_check(r->client_address, action, max)) return ;   /* docs/spam.md */
  if (policy_skip_match(set->skip, r->client_address) > 0)
  {
    if (log_verbosity >= 2) log_event2("spf_skipped", "ip", r->client_address, "reason", "PH_SPF_SKIP_ADDRESSES") ;
    return ;
  }
  a = lookup(set, c, r, &q, &cached) ;
  if (a->result == SPF_FAIL && set->reject_fail)
  {
    if (a->explanation[0]) copy_action(action, max, "550 5.7.23 ", a->explanation, 0) ;
    else
    {
      char text[400] ;
      size_t n = 0 ;
      char const *p[4] = { "SPF: ", r->client_address, " is not allowed to send mail for ", a->domain } ;
      for (unsigned int i = 0 ; i < 4 ; i++)
        for (char const *s = p[i] ; *s && n < sizeof(text) - 1 ; s++) text[n++] = *s ;
      text[n] = 0 ;
      copy_action(action, max, "550 5.7.23 ", text, 0) ;
    }
  }
  else if (a->result == SPF_TEMPERROR && set->defer_temperror)
    copy_action(action, max, "451 4.7.24 SPF temporary error looking up ", a->domain[0] ? a->domain : "the sender's domain", ", try again later") ;
  else if (set->prepend)
  {
    char const *inst = r->instance ? r->instance : "" ;
    size_t il = strlen(inst) ;
    /* one Received-SPF per message: Postfix asks for each recipient */
    if (!(il && il <= POLICY_INSTANCE_MAX && !strcmp(c->prepended, inst)))
    {
      hdr.len = 0 ;
      if (spf_received_spf(&hdr, &q, a) && stralloc_0(&hdr))
      {
        copy_action(action, max, "PREPEND Received-SPF: ", hdr.s, 0) ;
        if (il <= POLICY_INSTANCE_MAX) memcpy(c->prepended, inst, il + 1) ;
      }
    }
  }
  if ((!strncmp(action, "DUNNO", 5) || !strncmp(action, "PREPEND", 7))
   && policy_greylist_check(r->client_address, r->sender, r->recipient, action, max))
    c->prepended[0] = 0 ;   /* deferred: the retry gets its Received-SPF */
  logit(r, a, action, cached) ;
}

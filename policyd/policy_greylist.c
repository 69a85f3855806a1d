/* ISC license. */

#include <string.h>
#include <time.h>

#include <skalibs/types.h>

#include "common/config.h"
#include "common/greylist.h"
#include "common/log.h"
#include "policyd.h"
#include "spam.h"

/* Greylisting at RCPT (RFC 6647; docs/spam.md, "Greylisting"), on when
 * PH_GREYLIST=1 or docker-mailserver's ENABLE_POSTGREY=1, with its
 * postgrey settings: POSTGREY_DELAY (300 s), POSTGREY_MAX_AGE (35
 * days), POSTGREY_AUTO_WHITELIST_CLIENTS (5), POSTGREY_TEXT ("Delayed
 * by Postgrey"), and PH_GREYLIST_RETRY_WINDOW (2 days, postgrey's
 * --retry-window). State: $PH_GREYLIST_DIR, default $PH_STATE/greylist,
 * owned by the policy server's uid. Clients on PH_SPAM_ALLOW_NETS and
 * senders on PH_SPAM_ALLOW_SENDERS / _DOMAINS are not greylisted. Any
 * failure (a bad setting, the state unwritable) lets the mail through,
 * logged: greylisting is a delay, never a reason to lose mail. */

#define TEXT_MAX 200

static int loaded, enabled ;
static greylist_settings set ;
static char const *dir ;
static char text[TEXT_MAX + 1] ;
static char dirbuf[4096] ;
static int swept ;

static void load (void)
{
  int a = 0, b = 0 ;
  uint64_t days ;
  char const *t = config_get_default("POSTGREY_TEXT", "Delayed by Postgrey") ;
  loaded = 1 ;
  if (!config_get_bool("PH_GREYLIST", 0, &a) || !config_get_bool("ENABLE_POSTGREY", 0, &b)
   || !config_get_uint("POSTGREY_DELAY", 300, &set.delay) || set.delay > 86400
   || !config_get_uint("POSTGREY_MAX_AGE", 35, &days) || !days || days > 3650
   || !config_get_uint("POSTGREY_AUTO_WHITELIST_CLIENTS", 5, &set.auto_whitelist)
   || !config_get_uint("PH_GREYLIST_RETRY_WINDOW", 2 * 86400, &set.retry_window) || set.retry_window < set.delay)
  {
    log_event1("greylist_config_error", "setting", "PH_GREYLIST, ENABLE_POSTGREY or a POSTGREY_ setting") ;
    return ;
  }
  set.max_age = days * 86400 ;
  dir = config_get("PH_GREYLIST_DIR") ;
  if (!dir)
  {
    char const *state = config_get("PH_STATE") ;
    size_t n = state ? strlen(state) : 0 ;
    if (!n || n + 10 > sizeof(dirbuf))
    {
      log_event1("greylist_config_error", "setting", "PH_STATE or PH_GREYLIST_DIR") ;
      return ;
    }
    memcpy(dirbuf, state, n) ;
    memcpy(dirbuf + n, "/greylist", 10) ;
    dir = dirbuf ;
  }
  /* the text goes into an SMTP reply: printable ASCII only */
  {
    size_t n = 0 ;
    for (; *t && n < TEXT_MAX ; t++) text[n++] = (unsigned char)*t < 0x20 || (unsigned char)*t > 0x7e ? '?' : *t ;
    text[n] = 0 ;
  }
  enabled = a || b ;
}

static int allowed (char const *ip, char const *sender)
{
  char const *nets = config_get("PH_SPAM_ALLOW_NETS") ;
  if (spam_list_match_address(config_get("PH_SPAM_ALLOW_SENDERS"), sender)) return 1 ;
  if (spam_list_match_domain(config_get("PH_SPAM_ALLOW_DOMAINS"), sender)) return 1 ;
  return nets && policy_skip_match(nets, ip) > 0 ;
}

static void logit (char const *result, char const *ip, char const *sender, char const *rcpt, uint64_t wait)
{
  logline l ;
  log_begin(&l, "greylist") ;
  log_kv(&l, "result", result) ;
  log_kv(&l, "ip", ip) ;
  log_kv(&l, "sender", sender) ;
  log_kv(&l, "rcpt", rcpt) ;
  if (wait) log_kvu(&l, "wait", wait) ;
  log_commit(&l) ;
}

int policy_greylist_check (char const *ip, char const *sender, char const *recipient, char *action, size_t max)
{
  uint64_t now = (uint64_t)time(0), wait ;
  int r ;
  if (!loaded) load() ;
  if (!enabled || !ip || !*ip || !strcmp(ip, "unknown") || !recipient) return 0 ;
  if (!sender) sender = "" ;
  if (allowed(ip, sender)) return 0 ;
  if (!swept)
  {
    swept = 1 ;
    if (greylist_sweep(dir, &set, now, 1000) < 0) log_event2("greylist_error", "op", "sweep", "dir", dir) ;
  }
  r = greylist_check(dir, &set, ip, sender, recipient, now, &wait) ;
  if (r < 0)
  {
    log_event3("greylist_error", "op", "check", "dir", dir, "ip", ip) ;
    return 0 ;
  }
  if (r == GREYLIST_DEFER)
  {
    size_t n = 0 ;
    char const *p = "DEFER_IF_PERMIT 4.7.1 " ;
    for (; *p && n + 1 < max ; p++) action[n++] = *p ;
    for (p = text ; *p && n + 1 < max ; p++) action[n++] = *p ;
    action[n] = 0 ;
    logit("defer", ip, sender, recipient, wait) ;
    return 1 ;
  }
  if (r == GREYLIST_PASS || log_verbosity >= 2) logit(r == GREYLIST_PASS ? "pass" : "client_known", ip, sender, recipient, 0) ;
  return 0 ;
}

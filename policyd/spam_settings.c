/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "common/config.h"
#include "policyd.h"
#include "spam.h"

/* docker-mailserver's names where the meaning is the same (its
 * SpamAssassin/Amavis settings): SA_TAG (2.0: the X-Spam-Score and
 * X-Spam-Status fields from this score on), SA_TAG2 (6.31: spam,
 * "X-Spam: Yes", into Junk with MOVE_SPAM_TO_JUNK=1, its default),
 * SA_KILL (10.0: with SPAMASSASSIN_SPAM_TO_INBOX=0 the message is
 * discarded; docker-mailserver's default 1 delivers it as spam). */

static double number (char const *name, double def)
{
  char const *v = config_get(name) ;
  char *end ;
  double d ;
  if (!v) return def ;
  d = strtod(v, &end) ;
  if (end == v || *end || d < -1000 || d > 1000) strerr_dief2x(100, "bad ", name) ;
  return d ;
}

static int flag (char const *name, int def)
{
  int b ;
  if (!config_get_bool(name, def, &b)) strerr_dief2x(100, "bad ", name) ;
  return b ;
}

static uint64_t uint_setting (char const *name, uint64_t def, uint64_t min, uint64_t max)
{
  uint64_t u ;
  if (!config_get_uint(name, def, &u) || u < min || u > max) strerr_dief2x(100, "bad ", name) ;
  return u ;
}

static char const *list_setting (char const *name)
{
  char const *v = config_get(name) ;
  if (v && strlen(v) > SPAM_LIST_MAX) strerr_dief3x(100, "bad ", name, ": too long") ;
  return v ;
}

void spam_settings_load (spam_settings *set)
{
  static char dir[4096] ;
  set->tag = number("SA_TAG", 2.0) ;
  set->tag2 = number("SA_TAG2", 6.31) ;
  set->kill = number("SA_KILL", 10.0) ;
  set->move_to_junk = flag("MOVE_SPAM_TO_JUNK", 1) ;
  set->spam_to_inbox = flag("SPAMASSASSIN_SPAM_TO_INBOX", 1) ;
  set->rdns = flag("PH_SPAM_RDNS", 1) ;
  set->hostname = config_hostname() ;
  if (!spam_zones_parse(config_get("PH_DNSBL_ZONES"), set->dnsbl, SPAM_ZONES_MAX, &set->ndnsbl)) strerr_dief1x(100, "bad PH_DNSBL_ZONES") ;
  if (!spam_zones_parse(config_get("PH_DNSWL_ZONES"), set->dnswl, SPAM_ZONES_MAX, &set->ndnswl)) strerr_dief1x(100, "bad PH_DNSWL_ZONES") ;
  if (!spam_zones_parse(config_get("PH_URIBL_ZONES"), set->uribl, SPAM_ZONES_MAX, &set->nuribl)) strerr_dief1x(100, "bad PH_URIBL_ZONES") ;
  set->allow_senders = list_setting("PH_SPAM_ALLOW_SENDERS") ;
  set->allow_domains = list_setting("PH_SPAM_ALLOW_DOMAINS") ;
  set->allow_nets = list_setting("PH_SPAM_ALLOW_NETS") ;
  if (set->allow_nets && policy_skip_match(set->allow_nets, "127.0.0.1") < 0) strerr_dief1x(100, "bad PH_SPAM_ALLOW_NETS") ;
  set->bayes_dir = config_get("PH_BAYES_DIR") ;
  if (!set->bayes_dir)
  {
    char const *state = config_get("PH_STATE") ;
    size_t n = state ? strlen(state) : 0 ;
    if (!n || n + 7 > sizeof(dir)) strerr_dief1x(100, "PH_STATE or PH_BAYES_DIR must be set") ;
    memcpy(dir, state, n) ;
    memcpy(dir + n, "/bayes", 7) ;
    set->bayes_dir = dir ;
  }
  set->bayes_min_user = uint_setting("PH_BAYES_MIN_USER", 50, 1, 1000000) ;
  set->bayes_min_global = uint_setting("PH_BAYES_MIN_GLOBAL", 20, 1, 1000000) ;
  set->many_rcpts = uint_setting("PH_SPAM_MANY_RCPTS", 25, 1, 100000) ;
  set->max_size = uint_setting("PH_SPAM_MAX_SIZE", (uint64_t)2 << 20, 1024, (uint64_t)64 << 20) ;
  set->dns_ms = uint_setting("PH_SPAM_DNS_TIMEOUT_MS", 5000, 1, 60000) ;
  if (!spam_rules_valid()) strerr_dief1x(100, "bad PH_SPAM_SCORE_ setting") ;
  /* docker-mailserver's SPAM_SUBJECT ("undef" meant none in its older
   * SA_SPAM_SUBJECT, which is retired: `mailctl envcheck` warns about
   * it and names this one): printable text of at most 100 bytes */
  set->spam_subject = config_get("SPAM_SUBJECT") ;
  if (set->spam_subject && !strcmp(set->spam_subject, "undef")) set->spam_subject = 0 ;
  if (set->spam_subject)
  {
    size_t n = strlen(set->spam_subject) ;
    if (n > 100) strerr_dief1x(100, "bad SPAM_SUBJECT: over 100 bytes") ;
    for (size_t i = 0 ; i < n ; i++)
      if ((unsigned char)set->spam_subject[i] < 32 || set->spam_subject[i] == 127) strerr_dief1x(100, "bad SPAM_SUBJECT: control character") ;
  }
}

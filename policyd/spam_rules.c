/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "spam.h"

/* The rules and their default scores (docs/spam.md has the table and
 * why each score is what it is). Any score can be changed with
 * PH_SPAM_SCORE_<RULE>=<number> (environment or mailserver.env), e.g.
 * PH_SPAM_SCORE_RDNS_NONE=0 to stop scoring clients without a PTR. */

typedef struct rule_s rule ;
struct rule_s
{
  char const *name ;
  double score ;
} ;

static rule const rules[] =
{
  { "USER_IN_ALLOWLIST", -100 },
  { "MISSING_DATE", 1.0 },
  { "INVALID_DATE", 0.5 },
  { "MISSING_MID", 0.5 },
  { "MISSING_FROM", 2.0 },
  { "FROM_MALFORMED", 1.5 },
  { "MISSING_SUBJECT", 0.5 },
  { "MANY_RCPTS", 1.0 },
  { "HELO_BARE_IP", 1.0 },
  { "HELO_NOT_FQDN", 1.0 },
  { "HELO_OURS", 2.5 },
  { "RDNS_NONE", 1.0 },
  { "RDNS_MISMATCH", 0.5 },
  { "SPF_PASS", -0.1 },
  { "SPF_FAIL", 2.0 },
  { "SPF_SOFTFAIL", 1.0 },
  { "DKIM_VALID", -0.1 },
  { "DKIM_INVALID", 1.0 },
  { "DMARC_PASS", -0.5 },
  { "DMARC_FAIL", 2.5 },
  { "RCVD_IN_DNSBL", 3.0 },
  { "RCVD_IN_DNSWL", -2.0 },
  { "URIBL_LISTED", 2.5 },
  { "BAYES_00", -1.9 },
  { "BAYES_05", -0.5 },
  { "BAYES_20", -0.1 },
  { "BAYES_40", 0 },
  { "BAYES_50", 0 },
  { "BAYES_60", 1.0 },
  { "BAYES_80", 2.0 },
  { "BAYES_95", 3.0 },
  { "BAYES_99", 3.5 },
  { "BAYES_999", 4.0 },
} ;

#define NRULES (sizeof(rules) / sizeof(rules[0]))

static int override (char const *name, double *out)
{
  char var[64] ;
  size_t n = strlen(name) ;
  char const *v ;
  char *end ;
  if (n + 15 > sizeof(var)) return -1 ;
  memcpy(var, "PH_SPAM_SCORE_", 14) ;
  memcpy(var + 14, name, n + 1) ;
  v = config_get(var) ;
  if (!v) return 0 ;
  *out = strtod(v, &end) ;
  if (*end || end == v || *out < -1000 || *out > 1000) return -1 ;
  return 1 ;
}

double spam_rule_score (char const *name)
{
  for (unsigned int i = 0 ; i < NRULES ; i++)
    if (!strcmp(rules[i].name, name))
    {
      double d ;
      return override(name, &d) > 0 ? d : rules[i].score ;
    }
  return 0 ;
}

/* Checked once at start, so that a bad override is a configuration
 * error (exit 100), not a silent default. */
int spam_rules_valid (void)
{
  for (unsigned int i = 0 ; i < NRULES ; i++)
  {
    double d ;
    if (override(rules[i].name, &d) < 0)
    {
      log_event2("spam_config_error", "setting", "PH_SPAM_SCORE_", "rule", rules[i].name) ;
      return 0 ;
    }
  }
  return 1 ;
}

void spam_hit_add_score (spam *s, char const *name, double score)
{
  if (s->nhits >= SPAM_HITS_MAX) return ;
  s->hits[s->nhits].name = name ;
  s->hits[s->nhits].score = score ;
  s->nhits++ ;
  s->score += score ;
}

void spam_hit_add (spam *s, char const *name)
{
  spam_hit_add_score(s, name, spam_rule_score(name)) ;
}

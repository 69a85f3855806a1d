/* ISC license. */

/* policyd-spam: the spam scorer of queued's inbound chain
 * (docs/filters.md, docs/spam.md). Rules with scores: header sanity,
 * the HELO name, forward-confirmed reverse DNS, the SPF/DKIM/DMARC
 * results of our own Authentication-Results, DNSBL and DNSWL zones,
 * URI blocklists, and a Bayesian classifier per recipient; allow-lists
 * first. The answer: X-Spam-Score, X-Spam-Status and X-Spam fields,
 * and junk (MOVE_SPAM_TO_JUNK), discard (SA_KILL with
 * SPAMASSASSIN_SPAM_TO_INBOX=0) or deliver. Outbound mail is not
 * scored.
 *
 * Security: run for queued's chain as phfilter (by filterrun on
 * filter.sock, docs/filters.md), one process per message. It trusts its
 * environment (filterrun's plus queued's envelope variables: the envelope
 * came from smtpd through the queue) and the settings; the message and
 * every DNS answer are untrusted: the message is read bounded
 * (PH_SPAM_MAX_SIZE), parsed with common/mime.h's bounds, tokenized
 * with common/bayes.h's; lookups are bounded by PH_SPAM_DNS_TIMEOUT_MS.
 * It reads the Bayes databases ($PH_STATE/bayes, written by
 * policyd-learn as phbayes; a damaged one is refused, not trusted) and
 * writes nothing but its answer and its log. Only an
 * Authentication-Results field above our own Received field is
 * believed. A compromise gives phfilter's powers: wrong verdicts for
 * the messages being filtered (as any filter could); not the queue,
 * which phfilter cannot read. */

#include <stdlib.h>
#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/strerr.h>
#include <skalibs/stralloc.h>

#include "common/bayes.h"
#include "common/config.h"
#include "common/log.h"
#include "spam.h"

static char const *env (char const *name)
{
  char const *v = getenv(name) ;
  return v ? v : "" ;
}

static void answer (stralloc const *fields, char const *verdict, char const *reason, stralloc const *removes)
{
  if ((fields->len && (buffer_put(buffer_1, fields->s, fields->len) < 0 || buffer_puts(buffer_1, "\n") < 0))
   || buffer_puts(buffer_1, verdict) < 0
   || (reason && (buffer_puts(buffer_1, " ") < 0 || buffer_puts(buffer_1, reason) < 0))
   || buffer_puts(buffer_1, "\n") < 0
   || (removes && removes->len && buffer_put(buffer_1, removes->s, removes->len) < 0)
   || !buffer_flush(buffer_1))
    strerr_diefu1sys(111, "write the answer") ;
}

static void logit (spam const *s, char const *verdict)
{
  logline l ;
  char buf[512] ;
  size_t n = 0 ;
  log_begin(&l, "spam_scored") ;
  log_kv(&l, "qid", s->qid) ;
  log_kv(&l, "ip", s->ip) ;
  {
    stralloc score = STRALLOC_ZERO ;
    if (spam_cat_score(&score, s->score)) log_kvn(&l, "score", score.s, score.len) ;
    stralloc_free(&score) ;
  }
  for (unsigned int i = 0 ; i < s->nhits ; i++)
  {
    size_t len = strlen(s->hits[i].name) ;
    if (n + len + 1 >= sizeof(buf)) break ;
    if (i) buf[n++] = ',' ;
    memcpy(buf + n, s->hits[i].name, len) ;
    n += len ;
  }
  log_kvn(&l, "tests", buf, n) ;
  if (s->bayes_db) log_kv(&l, "bayes", s->bayes_db) ;
  if (s->truncated) log_kv(&l, "truncated", "1") ;
  log_kv(&l, "verdict", verdict) ;
  log_commit(&l) ;
}

int main (void)
{
  static spam_settings set ;
  static spam s ;
  bayes_tokens tokens = BAYES_TOKENS_ZERO ;
  stralloc fields = STRALLOC_ZERO, removes = STRALLOC_ZERO ;
  char const *dir, *verdict ;
  char rcpt[1024] ;
  PROG = "policyd-spam" ;
  config_load() ;
  dir = getenv("DIRECTION") ;
  if (dir && !strcmp(dir, "outbound"))
  {
    answer(&fields, "deliver", "outbound: not scored", 0) ;
    return 0 ;
  }
  spam_settings_load(&set) ;
  s.qid = env("QUEUE_ID") ;
  s.ip = env("CLIENT_IP") ;
  s.helo = env("HELO") ;
  s.sender = env("SENDER") ;
  {
    /* RECIPIENTS is space-separated; the Bayes rule needs the one
     * recipient when there is exactly one */
    char const *r = env("RECIPIENTS") ;
    size_t n ;
    while (*r == ' ') r++ ;
    n = strcspn(r, " ") ;
    s.nrecipients = 0 ;
    if (n && n < sizeof(rcpt))
    {
      memcpy(rcpt, r, n) ;
      rcpt[n] = 0 ;
      s.recipients = rcpt ;
      s.nrecipients = 1 ;
      for (char const *p = r + n ; *p ; p++) if (*p != ' ') { s.nrecipients = 2 ; break ; }
    }
  }
  spam_read(&s, (size_t)set.max_size) ;

  if (spam_allowed(&set, &s))
  {
    spam_hit_add(&s, "USER_IN_ALLOWLIST") ;
  }
  else
  {
    spam_check_header(&set, &s) ;
    spam_check_helo(&set, &s) ;
    spam_check_authres(&set, &s) ;
    if (!bayes_tokenize(&tokens, s.msg.s, s.msg.len)) strerr_diefu1sys(111, "tokenize the message") ;
    spam_check_dns(&set, &s, &tokens) ;
    spam_check_bayes(&set, &s, &tokens) ;
  }
  verdict = spam_verdict(&set, &s) ;
  if (!spam_fields(&fields, &set, &s)) strerr_diefu1sys(111, "format the X-Spam fields") ;
  /* SPAM_SUBJECT and the message's own X-Spam fields need queued's
   * remove lines; a queued without them gets neither (docs/spam.md) */
  if (strcmp(verdict, "discard") && !strcmp(env("FILTER_REMOVE"), "1") && !spam_rewrite(&set, &s, &fields, &removes))
    strerr_diefu1sys(111, "format the Subject") ;
  {
    stralloc reason = STRALLOC_ZERO ;
    if (!stralloc_cats(&reason, "spam score=") || !spam_cat_score(&reason, s.score) || !stralloc_0(&reason)) strerr_diefu1sys(111, "format the reason") ;
    logit(&s, verdict) ;
    answer(&fields, verdict, reason.s, &removes) ;
  }
  return 0 ;
}

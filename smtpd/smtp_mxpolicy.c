/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/addr.h"
#include "common/banevent.h"
#include "common/log.h"
#include "common/maildirsize.h"
#include "common/rcpt.h"
#include "smtp_access.h"
#include "smtp_mxpolicy.h"
#include "smtp_session.h"

/* Classifies a mailbox given as text ("local@domain"), leaving its
 * lookup key in key. Returns RCPT_* or -1. */
static int classify_mailbox (smtp_mxpolicy *p, char const *mailbox, size_t len, char *key)
{
  mailaddr a ;
  size_t keylen ;
  if (!addr_parse_mailbox(mailbox, len, &a, 0)) return RCPT_UNKNOWN ;
  keylen = addr_key(&a, key) ;
  key[keylen] = 0 ;
  return rcpt_classify(&p->maps, key, keylen) ;
}

/* postmaster@domain must be a path (RFC 5321 4.5.3.1.3: 256 octets);
 * a host name too long for that names no mailbox here. */
static int classify_postmaster_at (smtp_mxpolicy *p, char const *domain, char *key)
{
  static char const prefix[] = "postmaster@" ;
  char mailbox[ADDR_PATH_MAX] ;
  size_t const plen = sizeof(prefix) - 1 ;
  size_t dlen = strlen(domain) ;
  if (dlen > ADDR_PATH_MAX - plen) return RCPT_UNKNOWN ;
  memcpy(mailbox, prefix, plen) ;
  memcpy(mailbox + plen, domain, dlen) ;
  return classify_mailbox(p, mailbox, plen + dlen, key) ;
}

/* RFC 5321 4.5.1: "<Postmaster>" without a domain must be accepted. It
 * means, in order: POSTMASTER_ADDRESS (docker-mailserver's setting) if
 * set, else postmaster@<hostname>, else postmaster@<hostname without its
 * first label> (mail.example.com -> example.com): the first of them that
 * is deliverable here. Returns RCPT_LOCAL with the key, RCPT_UNKNOWN if
 * none is, or -1 on a lookup error. */
static int classify_postmaster (smtp_mxpolicy *p, char *key)
{
  int r ;
  if (p->postmaster) return classify_mailbox(p, p->postmaster, strlen(p->postmaster), key) ;
  r = classify_postmaster_at(p, p->hostname, key) ;
  if (r == RCPT_LOCAL || r < 0) return r ;
  {
    char const *dot = strchr(p->hostname, '.') ;
    if (dot && strchr(dot + 1, '.'))
    {
      r = classify_postmaster_at(p, dot + 1, key) ;
      if (r == RCPT_LOCAL || r < 0) return r ;
    }
  }
  return RCPT_UNKNOWN ;
}

/* Is every destination of the local recipient key a Maildir over its
 * quota? smtpd (phsmtpd) cannot read a Maildir: deliverd (vmail) leaves
 * a status file in $PH_STATE/quota for each Maildir it found full
 * (common/maildirsize.h, docs/internals.md "Quotas"); a recipient whose
 * every copy would land in a full Maildir gets 452 4.2.2, as Postfix
 * does with Dovecot's quota-status service, so the mail stays with the
 * sender instead of waiting in our queue. One that also forwards, or
 * reaches a Maildir with room, is accepted. Any failure here (no status
 * directory, a lookup error) accepts: deliverd still enforces the quota. */
static int quota_full (smtp_mxpolicy *p, char const *key)
{
  static genalloc dests = GENALLOC_ZERO ;   /* rcptdest */
  static stralloc storage = STRALLOC_ZERO ;
  static int dirfd = -2 ;                   /* -2: not opened yet */
  rcptdest const *d ;
  size_t n ;
  time_t now = time(0) ;
  if (dirfd == -2) dirfd = maildirsize_status_open() ;
  if (dirfd < 0) return 0 ;
  genalloc_setlen(rcptdest, &dests, 0) ;
  storage.len = 0 ;
  if (rcpt_expand(&p->maps, key, strlen(key), &dests, &storage) <= 0) return 0 ;
  d = genalloc_s(rcptdest, &dests) ;
  n = genalloc_len(rcptdest, &dests) ;
  for (size_t i = 0 ; i < n ; i++)
    if (d[i].kind != RCPT_LOCAL || !d[i].quota
     || maildirsize_status_over(dirfd, storage.s + d[i].maildir, d[i].quota, now) != 1) return 0 ;
  return 1 ;
}

static void log_rate (smtp_session const *s, char const *event, char const *what, ratelimit const *rl)
{
  logline l ;
  int e = errno ;
  log_begin(&l, event) ;
  log_kv(&l, "ip", s->ip) ;
  if (s->authuser) log_kv(&l, "user", s->authuser) ;
  log_kv(&l, "limit", what) ;
  if (!strcmp(event, "ratelimit_error")) log_kv(&l, "errno", strerror(e)) ;
  else
  {
    log_kvu(&l, "count", rl->count) ;
    log_kvu(&l, "window", rl->window) ;
  }
  log_commit(&l) ;
}

/* Per client address, every RCPT counts, whatever its fate (a
 * dictionary attack is mostly refused recipients); Postfix's anvil
 * answers smtpd_client_recipient_rate_limit the same way (450 4.7.1),
 * and exempts the networks that may relay (its
 * smtpd_client_event_limit_exceptions = $mynetworks): so do we. */
static int ip_rate_exceeded (smtp_session *s, smtp_mxpolicy *p, smtp_verdict *v)
{
  int r ;
  if (!p->iprate.count || !s->ip || s->authuser || s->relayclient) return 0 ;
  r = ratelimit_take(&p->iprate, s->ip, time(0)) ;
  ratelimit_keep(&p->iprate) ;
  if (r > 0) return 0 ;
  if (r < 0)
  {
    log_rate(s, "ratelimit_error", "rcpt_ip", &p->iprate) ;
    *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary rate limit failure", .reason = "ratelimit_error" } ;
    return 1 ;
  }
  log_rate(s, "rate_limited", "rcpt_ip", &p->iprate) ;
  *v = (smtp_verdict){ .code = 450, .enh = "4.7.1", .text = "Too many recipients from this client, try again later", .reason = "rate_limited" } ;
  return 1 ;
}

/* Per login, the recipients it may send to: reserved for the
 * transaction (the txend hook keeps or gives them back). 452: RFC 5321
 * 4.5.3.1.10's answer for recipients beyond a limit, which a client
 * takes as "send to those accepted, the rest later". */
static void user_rate (smtp_session *s, smtp_mxpolicy *p, smtp_verdict *v)
{
  char key[5 + 1024] ;
  size_t n ;
  int r ;
  if (!p->userrate.count || !s->authuser) return ;
  n = strlen(s->authuser) ;
  if (n >= sizeof(key) - 5) n = sizeof(key) - 6 ;
  memcpy(key, "rcpt:", 5) ;
  memcpy(key + 5, s->authuser, n) ;
  key[5 + n] = 0 ;
  r = ratelimit_take(&p->userrate, key, time(0)) ;
  if (r > 0) return ;
  if (r < 0)
  {
    log_rate(s, "ratelimit_error", "rcpt_user", &p->userrate) ;
    *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary rate limit failure", .reason = "ratelimit_error" } ;
    return ;
  }
  log_rate(s, "rate_limited", "rcpt_user", &p->userrate) ;
  *v = (smtp_verdict){ .code = 452, .enh = "4.5.3", .text = "Recipient rate limit exceeded, try the others later", .reason = "rate_limited" } ;
}

void smtp_mxpolicy_rcptcheck (smtp_session *s, mailaddr const *a, char *rcpt, smtp_verdict *v)
{
  smtp_mxpolicy *p = s->engine->policy ;
  char key[ADDR_PATH_MAX + 3] ;
  int r ;
  if (ip_rate_exceeded(s, p, v)) return ;
  if (a->at == a->len)
  {
    r = classify_postmaster(p, key) ;
    if (r == RCPT_REMOTE) r = RCPT_UNKNOWN ;
  }
  else
  {
    size_t n = addr_key(a, key) ;
    key[n] = 0 ;
    r = rcpt_classify(&p->maps, key, n) ;
  }
  switch (r)
  {
    case RCPT_LOCAL :
      /* postfix-receive-access.cf (smtp_access.h) */
      if (smtp_access_check(SMTP_ACCESS_RCPT, key, strlen(key), v)) break ;
      if (quota_full(p, key))
      {
        /* RFC 3463 X.2.2 mailbox full; 452 as RFC 5321 4.2.2 reads it */
        *v = (smtp_verdict){ .code = 452, .enh = "4.2.2", .text = "Mailbox full", .reason = "mailbox_full" } ;
        break ;
      }
      /* the maps are keyed in lower case, and so is the envelope */
      memcpy(rcpt, key, strlen(key) + 1) ;
      *v = (smtp_verdict){ .code = 250, .enh = "2.1.5", .text = "Ok", .reason = 0 } ;
      user_rate(s, p, v) ;
      break ;
    case RCPT_UNKNOWN :
      *v = (smtp_verdict){ .code = 550, .enh = "5.1.1", .text = "user unknown", .reason = "unknown_user" } ;
      /* every unknown recipient counts toward a ban (banwatch/README.md);
       * a logged-in user's typo does not */
      if (s->ip && !s->authuser) banevent_send("unknown_rcpt", s->ip, "smtp", 0) ;
      break ;
    case RCPT_REMOTE :
      if (s->relayclient)
      {
        /* keep the case: a remote local part is the remote side's to fold */
        memcpy(rcpt, a->s, a->len) ;
        rcpt[a->len] = 0 ;
        *v = (smtp_verdict){ .code = 250, .enh = "2.1.5", .text = "Ok", .reason = 0 } ;
        user_rate(s, p, v) ;
      }
      else
      {
        log_event2("relay_denied", "ip", s->ip, "rcpt", a->s) ;
        if (s->ip) banevent_send("relay_denied", s->ip, "smtp", 0) ;
        *v = (smtp_verdict){ .code = 554, .enh = "5.7.1", .text = "relay access denied", .reason = 0 } ;
      }
      break ;
    default :
      *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary recipient lookup failure", .reason = "lookup_error" } ;
      break ;
  }
}

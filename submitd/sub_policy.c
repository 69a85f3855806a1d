/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "smtpd/smtp_access.h"
#include "smtpd/smtp_session.h"
#include "sub_owner.h"
#include "submitd.h"

/* The submission policy (RFC 6409): TLS before anything that carries a
 * password or a message, AUTH before MAIL, then the sender must be the
 * login's own (SPOOF_PROTECTION) and within its rate. */

int sub_auth_allowed (smtp_session const *s)
{
  sub_state const *st = s->hookdata ;
  return s->tls || st->plainok ;
}

/* RFC 4954 4: the AUTH keyword is offered only when AUTH may be used
 * (docker-mailserver's smtpd_tls_auth_only = yes): never in clear. */
char const *const *sub_ehlo (smtp_session const *s)
{
  static char const *const auth[] = { "AUTH PLAIN LOGIN", 0 } ;
  return sub_auth_allowed(s) ? auth : 0 ;
}

/* RFC 3207 4: "530 Must issue a STARTTLS command first" answers the
 * commands a server that requires TLS will not take in clear; RFC 4954
 * 6: "530 5.7.0 Authentication required" answers MAIL before AUTH. */
void sub_mailgate (smtp_session *s, smtp_verdict *v)
{
  if (!sub_auth_allowed(s))
    *v = (smtp_verdict){ .code = 530, .enh = "5.7.0", .text = "Must issue a STARTTLS command first", .reason = "tls_required" } ;
  else if (!s->authuser)
    *v = (smtp_verdict){ .code = 530, .enh = "5.7.0", .text = "Authentication required", .reason = "auth_required" } ;
}

static void spoof_logged (smtp_session *s, char const *where, char const *address)
{
  logline l ;
  log_begin(&l, "spoof") ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "user", s->authuser) ;
  log_kv(&l, "where", where) ;
  log_kv(&l, "from", address) ;
  log_commit(&l) ;
}

void sub_mailcheck (smtp_session *s, smtp_path const *p, smtp_mailparams const *mp, smtp_verdict *v)
{
  static char text[ADDR_PATH_MAX + AUTHCLIENT_TEXT_MAX + 80] ;
  sub_state *st = s->hookdata ;
  (void)mp ;  /* AUTH= (RFC 4954 5) was checked by the engine and is not kept */
  /* postfix-send-access.cf: senders refused (smtpd/smtp_access.h) */
  {
    char key[ADDR_PATH_MAX + 3] ;
    if (smtp_access_check(SMTP_ACCESS_SENDER, key, p->addr.len ? addr_key(&p->addr, key) : 0, v)) return ;
  }
  /* Postfix checks the owner only of a real address (smtpd_check.c:
   * "if (state->sender && *state->sender)"): the null sender names
   * nobody, and a bounce from a client is legitimate. The header From
   * is still checked. */
  if (st->spoof && p->addr.len)
  {
    char key[ADDR_PATH_MAX + 3] ;
    size_t keylen = addr_key(&p->addr, key) ;
    int r ;
    key[keylen] = 0 ;
    r = sub_owns(&st->policy.maps.aliases, st->delims, st->login, key, keylen) ;
    if (r < 0)
    {
      *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary sender lookup failure", .reason = "lookup_error" } ;
      return ;
    }
    if (!r)
    {
      /* Postfix's words: "<addr>: Sender address rejected: not owned by user login" */
      static char const middle[] = ">: Sender address rejected: not owned by user " ;
      size_t n = 0 ;
      size_t u = strlen(st->login) ;
      text[n++] = '<' ;
      memcpy(text + n, p->addr.s, p->addr.len) ; n += p->addr.len ;
      memcpy(text + n, middle, sizeof(middle) - 1) ; n += sizeof(middle) - 1 ;
      memcpy(text + n, st->login, u) ; n += u ;
      text[n] = 0 ;
      spoof_logged(s, "mail", p->addr.s) ;
      *v = (smtp_verdict){ .code = 553, .enh = "5.7.1", .text = text, .reason = "spoof" } ;
      return ;
    }
  }
  if (st->rate.count)
  {
    int r = ratelimit_take(&st->rate, st->login, time(0)) ;
    if (r < 0)
    {
      logline l ;
      log_begin(&l, "ratelimit_error") ;
      log_kv(&l, "ip", s->ip) ;
      log_kv(&l, "user", s->authuser) ;
      log_kv(&l, "errno", strerror(errno)) ;
      log_commit(&l) ;
      *v = (smtp_verdict){ .code = 451, .enh = "4.3.0", .text = "temporary rate limit failure", .reason = 0 } ;
      return ;
    }
    if (!r)
    {
      logline l ;
      log_begin(&l, "rate_limited") ;
      log_kv(&l, "ip", s->ip) ;
      log_kv(&l, "user", s->authuser) ;
      log_kvu(&l, "count", st->rate.count) ;
      log_kvu(&l, "window", st->rate.window) ;
      log_commit(&l) ;
      *v = (smtp_verdict){ .code = 450, .enh = "4.7.1", .text = "Rate limit exceeded", .reason = 0 } ;
    }
  }
}

void sub_txend (smtp_session *s, int committed)
{
  sub_state *st = s->hookdata ;
  if (committed)
  {
    ratelimit_keep(&st->rate) ;
    ratelimit_keep(&st->policy.userrate) ;
  }
  else
  {
    ratelimit_release(&st->rate) ;
    ratelimit_release(&st->policy.userrate) ;
  }
}

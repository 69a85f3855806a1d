/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/lineio.h"
#include "common/log.h"
#include "smtpd/smtp_session.h"
#include "sub_authproto.h"
#include "submitd.h"

/* AUTH (RFC 4954) through authd: submitd relays the SASL exchange
 * (base64 as the client wrote it) and authd decides. submitd decodes
 * only the user name, for its log lines (banwatch reads auth_fail). */

static void refuse (smtp_session *s, unsigned int code, char const *enh, char const *text, char const *reason)
{
  smtp_refuse4(s, "AUTH", code, enh, text, reason) ;
}

static void log_auth (smtp_session *s, char const *event, char const *user, char const *mech, char const *why)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "user", user) ;
  log_kv(&l, "mech", mech) ;
  if (why) log_kv(&l, "reason", why) ;
  log_commit(&l) ;
}

/* authd could not be asked, or was not sure: RFC 4954 6, 454 4.7.0. */
static void tempfail (smtp_session *s, char const *user, char const *mech, char const *why)
{
  log_auth(s, "auth_error", user, mech, why) ;
  refuse(s, 454, "4.7.0", "Temporary authentication failure", 0) ;
}

/* Reads the client's answer to a 334 into line. Returns its length, or
 * -1 after answering the client (the exchange is over). */
static ssize_t read_response (smtp_session *s, char *line, size_t max)
{
  size_t len = 0 ;
  unsigned int flags = 0 ;
  int r ;
  smtp_flush(s) ;  /* the 334 must reach the client: it waits for it */
  smtp_deadline(s, s->engine->timeouts.command) ;
  r = lineio_get(&s->in, line, max, &len, &flags, &s->deadline) ;
  if (!r) smtp_client_eof(s, "eof") ;
  if (r < 0)
  {
    if (errno == ETIMEDOUT) smtp_timeout(s) ;
    if (errno == EPIPE) smtp_client_eof(s, "eof") ;
    if (errno != ERANGE) smtp_fail(s, "read") ;
    /* RFC 4954 6 */
    refuse(s, 500, "5.5.6", "Authentication Exchange line is too long", "auth_too_long") ;
    return -1 ;
  }
  s->commands++ ;
  if (!(flags & LINEIO_CRLF) || flags & (LINEIO_BARECR | LINEIO_NUL))
  {
    refuse(s, 501, "5.5.2", "Cannot decode response", "auth_bad_line") ;
    return -1 ;
  }
  return (ssize_t)len ;
}

void sub_do_auth (smtp_session *s, smtp_cmd const *c)
{
  static char line[SUB_AUTHLINE_MAX + 1] ;
  sub_state *st = s->hookdata ;
  sub_authcmd a ;
  authclient_reply r ;
  authclient_request q ;
  char user[SUB_AUTHUSER_MAX + 1] = "" ;
  tain deadline ;
  int type ;
  unsigned int rounds = 0 ;

  if (s->hello != SMTP_HELLO_EHLO) { refuse(s, 503, "5.5.1", "send EHLO first", "sequence") ; return ; }
  /* RFC 4954 4: once authenticated, no more AUTH; none inside a
   * transaction */
  if (s->authuser) { refuse(s, 503, "5.5.1", "Already authenticated", "sequence") ; return ; }
  if (s->inmail) { refuse(s, 503, "5.5.1", "AUTH not permitted during a mail transaction", "sequence") ; return ; }
  /* RFC 4954 6: PLAIN and LOGIN carry the password: only over TLS
   * (or on loopback, when allowed) */
  if (!sub_auth_allowed(s)) { refuse(s, 538, "5.7.11", "Encryption required for requested authentication mechanism", "tls_required") ; return ; }
  switch (sub_authcmd_parse(c->arg, c->arglen, &a))
  {
    case SUB_AUTHCMD_OK : break ;
    case SUB_AUTHCMD_BASE64 : refuse(s, 501, "5.5.2", "Cannot decode response", "auth_bad_base64") ; return ;
    default : refuse(s, 501, "5.5.4", "syntax: AUTH mechanism [initial-response]", "syntax") ; return ;
  }
  /* RFC 4954 4 */
  if (!a.mechid) { refuse(s, 504, "5.5.4", "Unrecognized authentication type", "auth_mech") ; return ; }
  if (a.hasresp) sub_auth_user(a.mechid, a.resp, a.resplen, user) ;

  tain_now_g() ;
  tain_addsec_g(&deadline, SUB_AUTH_SECS) ;
  if (!authclient_connect(&st->ac, st->authpath, &deadline))
  {
    tempfail(s, user, a.mech, strerror(errno)) ;
    return ;
  }
  if (!authclient_has_mech(&st->ac, a.mech))
  {
    authclient_close(&st->ac) ;
    refuse(s, 504, "5.5.4", "Unrecognized authentication type", "auth_mech") ;
    return ;
  }
  q = (authclient_request){ .mech = a.mech, .service = "smtp", .rip = s->ip, .lip = s->localip, .secured = s->tls || st->plainok } ;
  type = authclient_auth(&st->ac, &q, a.hasresp ? a.resp : 0, a.resplen, &r, &deadline) ;
  while (type == AUTHCLIENT_CONT)
  {
    ssize_t n ;
    /* LOGIN asks twice, PLAIN once: more is authd misbehaving */
    if (++rounds > SUB_AUTH_ROUNDS)
    {
      authclient_abort(&st->ac) ;
      tempfail(s, user, a.mech, "too many challenges") ;
      return ;
    }
    if (!smtp_out_reply(&s->out, 334, 0, r.text)) smtp_fail(s, "write") ;
    n = read_response(s, line, sizeof(line)) ;
    if (n < 0) { authclient_abort(&st->ac) ; explicit_bzero(line, sizeof(line)) ; return ; }
    /* RFC 4954 4: "*" cancels */
    if (n == 1 && line[0] == '*')
    {
      authclient_abort(&st->ac) ;
      log_auth(s, "auth_cancel", user, a.mech, 0) ;
      refuse(s, 501, "5.0.0", "Authentication cancelled", 0) ;
      return ;
    }
    if (!sub_base64_valid(line, (size_t)n))
    {
      authclient_abort(&st->ac) ;
      explicit_bzero(line, sizeof(line)) ;
      refuse(s, 501, "5.5.2", "Cannot decode response", "auth_bad_base64") ;
      return ;
    }
    /* the first response names the user: PLAIN without an initial
     * response, or LOGIN's answer to "Username:" */
    if (!user[0] && rounds == 1) sub_auth_user(a.mechid, line, (size_t)n, user) ;
    tain_now_g() ;
    tain_addsec_g(&deadline, SUB_AUTH_SECS) ;
    type = authclient_cont(&st->ac, line, (size_t)n, &r, &deadline) ;
    explicit_bzero(line, (size_t)n) ;
  }
  smtp_deadline(s, s->engine->timeouts.command) ;
  /* one connection per AUTH: authd's idle timeout never bites, and a
   * session keeps nothing of authd once it is done */
  {
    int e = errno ;
    authclient_close(&st->ac) ;
    errno = e ;
  }
  switch (type)
  {
    case AUTHCLIENT_OK :
      memcpy(st->login, r.text, r.len + 1) ;
      memcpy(st->mech, a.mech, strlen(a.mech) + 1) ;
      s->authuser = st->login ;
      /* an authenticated client may send anywhere: that is submission */
      s->relayclient = 1 ;
      log_auth(s, "auth", st->login, a.mech, 0) ;
      smtp_reply(s, 235, "2.7.0", "Authentication successful") ;
      return ;
    case AUTHCLIENT_FAIL :
      if (r.temp) { tempfail(s, user, a.mech, "authd temporary failure") ; return ; }
      log_auth(s, "auth_fail", user, a.mech, 0) ;
      smtp_refuse4(s, "AUTH", 535, "5.7.8", "Authentication credentials invalid", 0) ;
      if (++st->authfails >= st->maxauthfail)
      {
        log_event1("too_many_auth_failures", "ip", s->ip) ;
        smtp_closing(s, 421, "4.7.0", "too many authentication failures", "auth_failures", 1) ;
      }
      return ;
    default :
      tempfail(s, user, a.mech, strerror(errno)) ;
      return ;
  }
}

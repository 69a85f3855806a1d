/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/log.h"
#include "common/preauth.h"

/* authd does the SASL (it decodes, checks, and asks for more): we only
 * relay its challenges and the client's answers, and never see a hash.
 * ticket=1: an OK carries the one-time ticket the session will check. */

static int unavailable (preauth *p, char const *why)
{
  log_event3("auth_unavailable", "ip", p->rip, "session", p->session, "error", why) ;
  return PREAUTH_SASL_UNAVAILABLE ;
}

int preauth_sasl (preauth *p, preauth_sasl_io const *io, char const *mech, char const *resp, size_t resplen, authclient_reply *r)
{
  authclient ac = AUTHCLIENT_ZERO ;
  authclient_request q = { .mech = mech, .service = p->service, .rip = p->rip, .lip = p->lip, .secured = p->tls || p->loopback, .ticket = 1 } ;
  tain deadline ;
  int type ;
  tain_now_g() ;
  tain_addsec_g(&deadline, PREAUTH_AUTH_SECS) ;
  if (!authclient_connect(&ac, p->authpath, &deadline)) return unavailable(p, strerror(errno)) ;
  if (!authclient_has_mech(&ac, mech))
  {
    authclient_close(&ac) ;
    return PREAUTH_SASL_NOMECH ;
  }
  type = authclient_auth(&ac, &q, resp, resplen, r, &deadline) ;
  while (type == AUTHCLIENT_CONT)
  {
    size_t len ;
    int got ;
    (*io->challenge)(io->ctx, r->text, r->len) ;
    got = (*io->getline)(io->ctx, io->line, io->linemax, &len) ;
    if (got < 0) { authclient_abort(&ac) ; _exit(0) ; }
    if (!got)
    {
      authclient_abort(&ac) ;
      return PREAUTH_SASL_BADLINE ;
    }
    /* RFC 9051 §6.2.2, RFC 5034 §4: "*" cancels */
    if (len == 1 && io->line[0] == '*')
    {
      authclient_abort(&ac) ;
      return PREAUTH_SASL_CANCELLED ;
    }
    tain_now_g() ;
    tain_addsec_g(&deadline, PREAUTH_AUTH_SECS) ;
    type = authclient_cont(&ac, io->line, len, r, &deadline) ;
    explicit_bzero(io->line, len) ;
  }
  if (type == AUTHCLIENT_ERROR)
  {
    authclient_close(&ac) ;
    return unavailable(p, strerror(errno)) ;
  }
  authclient_close(&ac) ;
  if (type == AUTHCLIENT_FAIL)
    return r->temp ? unavailable(p, r->text[0] ? r->text : "temporary failure") : PREAUTH_SASL_FAILED ;
  if (!r->ticket[0]) return unavailable(p, "authd sent no ticket") ;
  log_event3("auth_ok", "ip", p->rip, "user", r->text, "session", p->session) ;
  return PREAUTH_SASL_OK ;
}

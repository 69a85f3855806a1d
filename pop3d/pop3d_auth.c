/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/lineio.h"
#include "common/log.h"
#include "pop3d/pop3d.h"

/* USER/PASS (RFC 1939 §7) and AUTH (RFC 5034) against authd, asking
 * for a ticket: pop3d never sees a hash and does not decode SASL (authd
 * does). USER/PASS is relayed as PLAIN. Response codes are RFC 3206's:
 * [AUTH] for refused credentials, [SYS/TEMP] when we could not ask. */

static char const b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" ;

static int b64_cat (stralloc *sa, char const *s, size_t len)
{
  if (!stralloc_readyplus(sa, 4 * ((len + 2) / 3))) return 0 ;
  for (size_t i = 0 ; i < len ; i += 3)
  {
    unsigned char a = s[i], b = i + 1 < len ? s[i + 1] : 0, c = i + 2 < len ? s[i + 2] : 0 ;
    sa->s[sa->len++] = b64[a >> 2] ;
    sa->s[sa->len++] = b64[((a & 3) << 4) | (b >> 4)] ;
    sa->s[sa->len++] = i + 1 < len ? b64[((b & 15) << 2) | (c >> 6)] : '=' ;
    sa->s[sa->len++] = i + 2 < len ? b64[c & 63] : '=' ;
  }
  return 1 ;
}

static void unavailable (pop3d *d, char const *why)
{
  log_event3("auth_unavailable", "ip", d->rip, "session", d->session, "error", why) ;
  pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Authentication service unavailable, try again later.") ;
}

static void failed (pop3d *d, char const *mech, char const *user)
{
  logline l ;
  d->authfail++ ;
  log_begin(&l, "auth_fail") ;
  log_kv(&l, "ip", d->rip) ;
  log_kv(&l, "user", user) ;
  log_kv(&l, "mech", mech) ;
  log_kv(&l, "session", d->session) ;
  log_kvu(&l, "count", d->authfail) ;
  log_commit(&l) ;
  pop3_io_reply(&d->io, "-ERR [AUTH] Authentication failed.") ;
  if (d->authfail >= d->maxauthfail)
  {
    log_event2("too_many_auth_failures", "ip", d->rip, "session", d->session) ;
    pop3_io_bye(&d->io, "Too many authentication failures.", 1) ;
  }
}

/* One attempt: resp is the initial response (base64), or 0. */
static void attempt (pop3d *d, char const *mech, char const *resp, size_t resplen, char const *loguser)
{
  static char line[POP3_SASL_LINE_MAX + 1] ;
  authclient ac = AUTHCLIENT_ZERO ;
  authclient_reply r ;
  authclient_request q = { .mech = mech, .service = "pop3", .rip = d->rip, .lip = d->lip, .secured = d->tls || d->loopback, .ticket = 1 } ;
  tain deadline ;
  int type ;
  tain_now_g() ;
  tain_addsec_g(&deadline, POP3D_AUTH_SECS) ;
  if (!authclient_connect(&ac, d->authpath, &deadline)) { unavailable(d, strerror(errno)) ; return ; }
  if (!authclient_has_mech(&ac, mech))
  {
    authclient_close(&ac) ;
    pop3_io_reply(&d->io, "-ERR Unsupported authentication mechanism.") ;
    return ;
  }
  type = authclient_auth(&ac, &q, resp, resplen, &r, &deadline) ;
  while (type == AUTHCLIENT_CONT)
  {
    size_t len ;
    unsigned int flags ;
    int got ;
    /* RFC 5034 §4: "+ " and the base64 challenge */
    pop3_io_puts(&d->io, "+ ") ;
    pop3_io_put(&d->io, r.text, r.len) ;
    pop3_io_reply(&d->io, "") ;
    pop3_io_touch(&d->io) ;
    got = pop3_io_getline(&d->io, line, sizeof(line), &len, &flags) ;
    if (got < 0) { authclient_abort(&ac) ; _exit(0) ; }
    if (!got || flags & (LINEIO_NUL | LINEIO_BARECR))
    {
      authclient_abort(&ac) ;
      pop3d_bad(d, "AUTH", "Invalid response") ;
      return ;
    }
    /* RFC 5034 §4: "*" cancels, answered with -ERR */
    if (len == 1 && line[0] == '*')
    {
      authclient_abort(&ac) ;
      pop3_io_reply(&d->io, "-ERR Authentication cancelled.") ;
      return ;
    }
    tain_now_g() ;
    tain_addsec_g(&deadline, POP3D_AUTH_SECS) ;
    type = authclient_cont(&ac, line, len, &r, &deadline) ;
    explicit_bzero(line, len) ;
  }
  if (type == AUTHCLIENT_ERROR) { authclient_close(&ac) ; unavailable(d, strerror(errno)) ; return ; }
  authclient_close(&ac) ;
  if (type == AUTHCLIENT_FAIL)
  {
    if (r.temp) unavailable(d, r.text[0] ? r.text : "temporary failure") ;
    else failed(d, mech, loguser) ;
    return ;
  }
  if (!r.ticket[0]) { unavailable(d, "authd sent no ticket") ; return ; }
  log_event3("auth_ok", "ip", d->rip, "user", r.text, "session", d->session) ;
  pop3d_handover(d, r.text, r.ticket) ;
  explicit_bzero(r.ticket, sizeof(r.ticket)) ;
}

void pop3d_pass (pop3d *d, pop3_cmd const *c)
{
  stralloc plain = STRALLOC_ZERO ;
  stralloc enc = STRALLOC_ZERO ;
  if (!pop3d_plain_ok(d))
  {
    pop3_io_reply(&d->io, "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.") ;
    return ;
  }
  if (!d->userlen) { pop3d_bad(d, "PASS", "No username given.") ; return ; }
  /* PLAIN: authzid (empty) NUL authcid NUL passwd (RFC 4616) */
  if (!stralloc_catb(&plain, "", 1) || !stralloc_catb(&plain, d->user, d->userlen + 1)
   || !stralloc_catb(&plain, c->arg, c->arglen)
   || !b64_cat(&enc, plain.s, plain.len))
    pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Out of memory.") ;
  else attempt(d, "PLAIN", enc.s, enc.len, d->user) ;
  /* RFC 1939 §7: after a failed PASS the client starts again with USER */
  explicit_bzero(d->user, sizeof(d->user)) ;
  d->userlen = 0 ;
  if (plain.s) explicit_bzero(plain.s, plain.len) ;
  if (enc.s) explicit_bzero(enc.s, enc.len) ;
  stralloc_free(&plain) ;
  stralloc_free(&enc) ;
}

void pop3d_auth (pop3d *d, pop3_cmd const *c)
{
  char mech[16] ;
  if (!c->arg)
  {
    /* no mechanism: the list (RFC 1734's form, which clients still probe) */
    if (pop3d_plain_ok(d)) pop3_io_reply(&d->io, "+OK\r\nPLAIN\r\nLOGIN\r\n.") ;
    else pop3_io_reply(&d->io, "+OK\r\n.") ;
    return ;
  }
  if (!pop3d_plain_ok(d))
  {
    pop3_io_reply(&d->io, "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.") ;
    return ;
  }
  if (c->arglen >= sizeof(mech)) { pop3_io_reply(&d->io, "-ERR Unsupported authentication mechanism.") ; return ; }
  for (size_t i = 0 ; i < c->arglen ; i++) mech[i] = c->arg[i] >= 'a' && c->arg[i] <= 'z' ? c->arg[i] - 32 : c->arg[i] ;
  mech[c->arglen] = 0 ;
  if (strcmp(mech, "PLAIN") && strcmp(mech, "LOGIN"))
  {
    pop3_io_reply(&d->io, "-ERR Unsupported authentication mechanism.") ;
    return ;
  }
  /* RFC 5034 §4: "=" is an empty initial response */
  if (!c->arg2) attempt(d, mech, 0, 0, "") ;
  else if (c->arg2len == 1 && c->arg2[0] == '=') attempt(d, mech, "", 0, "") ;
  else attempt(d, mech, c->arg2, c->arg2len, "") ;
}

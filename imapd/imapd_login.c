/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/log.h"
#include "imapd/imapd.h"

/* LOGIN (RFC 9051 §6.2.3) and AUTHENTICATE (§6.2.2, RFC 4959 SASL-IR)
 * against authd, asking for a ticket: imapd never sees a hash, and does
 * not decode SASL (authd does). LOGIN is sent to authd as PLAIN. */

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

static void unavailable (imapd *d, char const *tag, char const *why)
{
  log_event3("auth_unavailable", "ip", d->rip, "session", d->session, "error", why) ;
  imapd_tagged(d, tag, "NO [UNAVAILABLE] Authentication service unavailable, try again later") ;
}

static void failed (imapd *d, char const *tag, char const *mech, char const *user)
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
  imapd_tagged(d, tag, "NO [AUTHENTICATIONFAILED] Authentication failed") ;
  if (d->authfail >= d->maxauthfail) imapd_bye(d, "Too many authentication failures", 1) ;
}

/* One attempt: resp is the initial response (base64), or 0. */
static void attempt (imapd *d, char const *tag, char const *mech, char const *resp, size_t resplen, char const *loguser)
{
  static char line[IMAPD_SASL_LINE_MAX + 1] ;
  authclient ac = AUTHCLIENT_ZERO ;
  authclient_reply r ;
  authclient_request q = { .mech = mech, .service = "imap", .rip = d->rip, .lip = d->lip, .secured = d->tls || d->loopback, .ticket = 1 } ;
  tain deadline ;
  int type ;
  tain_now_g() ;
  tain_addsec_g(&deadline, IMAPD_AUTH_SECS) ;
  if (!authclient_connect(&ac, d->authpath, &deadline)) { unavailable(d, tag, strerror(errno)) ; return ; }
  if (!authclient_has_mech(&ac, mech))
  {
    authclient_close(&ac) ;
    imapd_tagged(d, tag, "NO Unsupported authentication mechanism") ;
    return ;
  }
  type = authclient_auth(&ac, &q, resp, resplen, &r, &deadline) ;
  while (type == AUTHCLIENT_CONT)
  {
    size_t len ;
    int got ;
    imapd_puts(d, "+ ") ;
    imapd_put(d, r.text, r.len) ;
    imapd_puts(d, "\r\n") ;
    imapd_touch(d) ;
    got = imapd_getline(d, line, sizeof(line), &len) ;
    if (got < 0) { authclient_abort(&ac) ; _exit(0) ; }
    if (!got)
    {
      authclient_abort(&ac) ;
      imapd_bad(d, tag, "AUTHENTICATE", "BAD Response too long") ;
      return ;
    }
    /* RFC 9051 §6.2.2: "*" cancels, answered with BAD */
    if (len == 1 && line[0] == '*')
    {
      authclient_abort(&ac) ;
      imapd_tagged(d, tag, "BAD AUTHENTICATE cancelled") ;
      return ;
    }
    tain_now_g() ;
    tain_addsec_g(&deadline, IMAPD_AUTH_SECS) ;
    type = authclient_cont(&ac, line, len, &r, &deadline) ;
    explicit_bzero(line, len) ;
  }
  if (type == AUTHCLIENT_ERROR) { authclient_close(&ac) ; unavailable(d, tag, strerror(errno)) ; return ; }
  authclient_close(&ac) ;
  if (type == AUTHCLIENT_FAIL)
  {
    if (r.temp) unavailable(d, tag, r.text[0] ? r.text : "temporary failure") ;
    else failed(d, tag, mech, loguser) ;
    return ;
  }
  if (!r.ticket[0]) { unavailable(d, tag, "authd sent no ticket") ; return ; }
  log_event3("auth_ok", "ip", d->rip, "user", r.text, "session", d->session) ;
  imapd_handover(d, tag, r.text, r.ticket) ;
  explicit_bzero(r.ticket, sizeof(r.ticket)) ;
}

void imapd_login (imapd *d, char const *tag, imap_cursor *c)
{
  stralloc args = STRALLOC_ZERO ;
  stralloc plain = STRALLOC_ZERO ;
  stralloc enc = STRALLOC_ZERO ;
  size_t userlen, passpos ;
  if (!imap_sp(c) || !imap_astring(c, &args)) goto bad ;
  userlen = args.len - 1 ;
  passpos = args.len ;
  if (!imap_sp(c) || !imap_astring(c, &args) || !imap_end(c)) goto bad ;
  if (!imapd_plain_ok(d))
  {
    imapd_tagged(d, tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections") ;
    goto end ;
  }
  if (!userlen || args.len - 1 == passpos)
  {
    failed(d, tag, "LOGIN", args.s) ;
    goto end ;
  }
  /* PLAIN: authzid (empty) NUL authcid NUL passwd (RFC 4616) */
  if (!stralloc_catb(&plain, "", 1) || !stralloc_catb(&plain, args.s, userlen + 1)
   || !stralloc_catb(&plain, args.s + passpos, args.len - 1 - passpos)
   || !b64_cat(&enc, plain.s, plain.len))
  {
    imapd_tagged(d, tag, "NO [SERVERBUG] Out of memory") ;
    goto end ;
  }
  attempt(d, tag, "PLAIN", enc.s, enc.len, args.s) ;
  goto end ;
 bad:
  imapd_bad_cursor(d, tag, "LOGIN", c) ;
 end:
  if (args.s) explicit_bzero(args.s, args.len) ;
  if (plain.s) explicit_bzero(plain.s, plain.len) ;
  if (enc.s) explicit_bzero(enc.s, enc.len) ;
  stralloc_free(&args) ;
  stralloc_free(&plain) ;
  stralloc_free(&enc) ;
}

void imapd_authenticate (imapd *d, char const *tag, imap_cursor *c)
{
  stralloc sa = STRALLOC_ZERO ;
  char mech[16] ;
  size_t irpos = 0 ;
  int hasir = 0 ;
  if (!imap_sp(c) || !imap_atom(c, &sa)) goto bad ;
  if (sa.len - 1 >= sizeof(mech)) { imapd_tagged(d, tag, "NO Unsupported authentication mechanism") ; goto end ; }
  for (size_t i = 0 ; i < sa.len ; i++) mech[i] = sa.s[i] >= 'a' && sa.s[i] <= 'z' ? sa.s[i] - 32 : sa.s[i] ;
  if (imap_peek(c) == ' ')
  {
    /* RFC 4959: SP initial-response, base64 or "=" for an empty one */
    if (!imap_sp(c)) goto bad ;
    irpos = sa.len ;
    if (!imap_atom(c, &sa)) goto bad ;
    hasir = 1 ;
  }
  if (!imap_end(c)) goto bad ;
  if (!imapd_plain_ok(d))
  {
    imapd_tagged(d, tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections") ;
    goto end ;
  }
  if (strcmp(mech, "PLAIN") && strcmp(mech, "LOGIN"))
  {
    imapd_tagged(d, tag, "NO Unsupported authentication mechanism") ;
    goto end ;
  }
  if (hasir)
  {
    size_t irlen = sa.len - 1 - irpos ;
    if (irlen == 1 && sa.s[irpos] == '=') attempt(d, tag, mech, "", 0, "") ;
    else attempt(d, tag, mech, sa.s + irpos, irlen, "") ;
  }
  else attempt(d, tag, mech, 0, 0, "") ;
  goto end ;
 bad:
  imapd_bad_cursor(d, tag, "AUTHENTICATE", c) ;
 end:
  if (sa.s) explicit_bzero(sa.s, sa.len) ;
  stralloc_free(&sa) ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/authclient.h"
#include "common/preauth.h"
#include "imapd/imapd.h"

/* LOGIN (RFC 9051 §6.2.3) and AUTHENTICATE (§6.2.2, RFC 4959 SASL-IR)
 * against authd, asking for a ticket: imapd never sees a hash, and does
 * not decode SASL (authd does; common/preauth_sasl.c relays). LOGIN is
 * sent to authd as PLAIN. */

static void unavailable (imapd *d, char const *tag)
{
  imapd_tagged(d, tag, "NO [UNAVAILABLE] Authentication service unavailable, try again later") ;
}

static void failed (imapd *d, char const *tag, char const *mech, char const *user)
{
  imapd_tagged(d, tag, "NO [AUTHENTICATIONFAILED] Authentication failed") ;
  if (preauth_auth_failed(&d->p, mech, user)) imapd_bye(d, "Too many authentication failures", 1) ;
}

/* After K the session sends the tagged OK (it has the tag): the client
 * is answered here only when the handover failed. */
static void handover (imapd *d, char const *tag, char const *user, char const *ticket)
{
  switch (preauth_handover(&d->p, &d->in, user, tag, ticket))
  {
    case -1 : imapd_tagged(d, tag, "NO [UNAVAILABLE] Internal error, try again later") ; break ;
    case 'D' : imapd_tagged(d, tag, "NO [AUTHENTICATIONFAILED] Authentication failed") ; break ;
    default : imapd_tagged(d, tag, "NO [UNAVAILABLE] Mailbox service unavailable, try again later") ; break ;
  }
}

/* RFC 9051 §6.2.2: a continuation is "+ " and the base64 challenge */
static void challenge (void *ctx, char const *s, size_t len)
{
  imapd *d = ctx ;
  imapd_puts(d, "+ ") ;
  imapd_put(d, s, len) ;
  imapd_puts(d, "\r\n") ;
  imapd_touch(d) ;
}

static int getline_cb (void *ctx, char *buf, size_t max, size_t *len)
{
  return imapd_getline(ctx, buf, max, len) ;
}

/* One attempt: resp is the initial response (base64), or 0. */
static void attempt (imapd *d, char const *tag, char const *mech, char const *resp, size_t resplen, char const *loguser)
{
  static char line[IMAPD_SASL_LINE_MAX + 1] ;
  preauth_sasl_io io = { .ctx = d, .challenge = &challenge, .getline = &getline_cb, .line = line, .linemax = sizeof(line) } ;
  authclient_reply r ;
  switch (preauth_sasl(&d->p, &io, mech, resp, resplen, &r))
  {
    case PREAUTH_SASL_OK :
      handover(d, tag, r.text, r.ticket) ;
      explicit_bzero(r.ticket, sizeof(r.ticket)) ;
      break ;
    case PREAUTH_SASL_FAILED : failed(d, tag, mech, loguser) ; break ;
    case PREAUTH_SASL_NOMECH : imapd_tagged(d, tag, "NO Unsupported authentication mechanism") ; break ;
    case PREAUTH_SASL_BADLINE : imapd_bad(d, tag, "AUTHENTICATE", "BAD Response too long") ; break ;
    /* RFC 9051 §6.2.2: "*" cancels, answered with BAD */
    case PREAUTH_SASL_CANCELLED : imapd_tagged(d, tag, "BAD AUTHENTICATE cancelled") ; break ;
    default : unavailable(d, tag) ; break ;
  }
}

void imapd_login (imapd *d, char const *tag, imap_cursor *c)
{
  stralloc args = STRALLOC_ZERO ;
  stralloc enc = STRALLOC_ZERO ;
  size_t userlen, passpos ;
  if (!imap_sp(c) || !imap_astring(c, &args)) goto bad ;
  userlen = args.len - 1 ;
  passpos = args.len ;
  if (!imap_sp(c) || !imap_astring(c, &args) || !imap_end(c)) goto bad ;
  if (!preauth_plain_ok(&d->p))
  {
    imapd_tagged(d, tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections") ;
    goto end ;
  }
  if (!userlen || args.len - 1 == passpos)
  {
    failed(d, tag, "LOGIN", args.s) ;
    goto end ;
  }
  if (!preauth_plain_encode(&enc, args.s, userlen, args.s + passpos, args.len - 1 - passpos))
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
  if (enc.s) explicit_bzero(enc.s, enc.len) ;
  stralloc_free(&args) ;
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
  if (!preauth_plain_ok(&d->p))
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

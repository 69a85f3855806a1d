/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/buffer.h>

#include "common/authclient.h"
#include "common/lineio.h"
#include "common/log.h"
#include "common/preauth.h"
#include "pop3d/pop3d.h"

/* USER/PASS (RFC 1939 §7) and AUTH (RFC 5034) against authd, asking
 * for a ticket: pop3d never sees a hash and does not decode SASL (authd
 * does; common/preauth_sasl.c relays). USER/PASS is relayed as PLAIN. Response codes are RFC 3206's:
 * [AUTH] for refused credentials, [SYS/TEMP] when we could not ask. */

static void unavailable (pop3d *d)
{
  pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Authentication service unavailable, try again later.") ;
}

static void failed (pop3d *d, char const *mech, char const *user)
{
  pop3_io_reply(&d->io, "-ERR [AUTH] Authentication failed.") ;
  if (preauth_auth_failed(&d->p, mech, user))
  {
    log_event2("too_many_auth_failures", "ip", d->p.rip, "session", d->p.session) ;
    pop3_io_bye(&d->io, "Too many authentication failures.", 1) ;
  }
}

/* After K the session says "+OK" once the maildrop is locked: the
 * client is answered here only when the handover failed. Replies to
 * pipelined commands go out first: the session's come after them. */
static void handover (pop3d *d, char const *user, char const *ticket)
{
  if (buffer_len(&d->io.out)) pop3_io_flush(&d->io) ;
  switch (preauth_handover(&d->p, &d->io.in, user, 0, ticket))
  {
    case -1 : pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Internal error, try again later.") ; break ;
    case 'D' : pop3_io_reply(&d->io, "-ERR [AUTH] Authentication failed.") ; break ;
    default : pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Mailbox service unavailable, try again later.") ; break ;
  }
}

/* RFC 5034 §4: "+ " and the base64 challenge */
static void challenge (void *ctx, char const *s, size_t len)
{
  pop3d *d = ctx ;
  pop3_io_puts(&d->io, "+ ") ;
  pop3_io_put(&d->io, s, len) ;
  pop3_io_reply(&d->io, "") ;
  pop3_io_touch(&d->io) ;
}

static int getline_cb (void *ctx, char *buf, size_t max, size_t *len)
{
  pop3d *d = ctx ;
  unsigned int flags ;
  int got = pop3_io_getline(&d->io, buf, max, len, &flags) ;
  return got > 0 && flags & (LINEIO_NUL | LINEIO_BARECR) ? 0 : got ;
}

/* One attempt: resp is the initial response (base64), or 0. */
static void attempt (pop3d *d, char const *mech, char const *resp, size_t resplen, char const *loguser)
{
  static char line[POP3_SASL_LINE_MAX + 1] ;
  preauth_sasl_io io = { .ctx = d, .challenge = &challenge, .getline = &getline_cb, .line = line, .linemax = sizeof(line) } ;
  authclient_reply r ;
  switch (preauth_sasl(&d->p, &io, mech, resp, resplen, &r))
  {
    case PREAUTH_SASL_OK :
      handover(d, r.text, r.ticket) ;
      explicit_bzero(r.ticket, sizeof(r.ticket)) ;
      break ;
    case PREAUTH_SASL_FAILED : failed(d, mech, loguser) ; break ;
    case PREAUTH_SASL_NOMECH : pop3_io_reply(&d->io, "-ERR Unsupported authentication mechanism.") ; break ;
    case PREAUTH_SASL_BADLINE : pop3d_bad(d, "AUTH", "Invalid response") ; break ;
    /* RFC 5034 §4: "*" cancels, answered with -ERR */
    case PREAUTH_SASL_CANCELLED : pop3_io_reply(&d->io, "-ERR Authentication cancelled.") ; break ;
    default : unavailable(d) ; break ;
  }
}

void pop3d_pass (pop3d *d, pop3_cmd const *c)
{
  stralloc enc = STRALLOC_ZERO ;
  if (!preauth_plain_ok(&d->p))
  {
    pop3_io_reply(&d->io, "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.") ;
    return ;
  }
  if (!d->userlen) { pop3d_bad(d, "PASS", "No username given.") ; return ; }
  if (!preauth_plain_encode(&enc, d->user, d->userlen, c->arg, c->arglen))
    pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Out of memory.") ;
  else attempt(d, "PLAIN", enc.s, enc.len, d->user) ;
  /* RFC 1939 §7: after a failed PASS the client starts again with USER */
  explicit_bzero(d->user, sizeof(d->user)) ;
  d->userlen = 0 ;
  if (enc.s) explicit_bzero(enc.s, enc.len) ;
  stralloc_free(&enc) ;
}

void pop3d_auth (pop3d *d, pop3_cmd const *c)
{
  char mech[16] ;
  if (!c->arg)
  {
    /* no mechanism: the list (RFC 1734's form, which clients still probe) */
    if (preauth_plain_ok(&d->p)) pop3_io_reply(&d->io, "+OK\r\nPLAIN\r\nLOGIN\r\n.") ;
    else pop3_io_reply(&d->io, "+OK\r\n.") ;
    return ;
  }
  if (!preauth_plain_ok(&d->p))
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

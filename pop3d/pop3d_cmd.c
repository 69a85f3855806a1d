/* ISC license. */

#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>

#include "common/log.h"
#include "common/preauth.h"
#include "common/ucspitls.h"
#include "pop3d/pop3d.h"

/* The AUTHORIZATION state (RFC 1939 §4, §7): USER, PASS, QUIT, and
 * CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034). APOP is not
 * offered (no cleartext-equivalent secrets are kept). The TRANSACTION
 * commands are refused here with a word saying so. */

void pop3d_bad (pop3d *d, char const *name, char const *text)
{
  pop3_io_puts(&d->io, "-ERR ") ;
  pop3_io_reply(&d->io, text) ;
  if (preauth_bad(&d->p, name)) pop3_io_bye(&d->io, "Too many bad commands.", 1) ;
}

static void do_capa (pop3d *d)
{
  /* RFC 2449 §5: STLS only while it can be done; USER and SASL only
   * when credentials may be sent (RFC 2595 §4: a client then knows to
   * use STLS first). The TRANSACTION capabilities are listed too: a
   * client plans its session from this list. */
  pop3_io_puts(&d->io, "+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n") ;
  if (!d->p.tls && ucspitls_available()) pop3_io_puts(&d->io, "STLS\r\n") ;
  if (preauth_plain_ok(&d->p)) pop3_io_puts(&d->io, "USER\r\nSASL PLAIN LOGIN\r\n") ;
  pop3_io_reply(&d->io, "IMPLEMENTATION posthaste\r\n.") ;
}

static void do_stls (pop3d *d)
{
  if (d->p.tls) { pop3d_bad(d, "STLS", "TLS is already active") ; return ; }
  if (!ucspitls_available()) { pop3_io_reply(&d->io, "-ERR [SYS/TEMP] TLS is not available") ; return ; }
  /* queued, not sent: ucspitls_start sends it, then drops whatever the
   * client pipelined after STLS (RFC 2595 §4: nothing sent in clear is
   * run inside TLS) */
  if (buffer_putnoflush(&d->io.out, "+OK Begin TLS negotiation\r\n", 27) != 27)
    pop3_io_bye(&d->io, "Internal error", 111) ;
  preauth_starttls(&d->p, &d->io.in, &d->io.out) ;
  /* RFC 2595 §4: the client discards what it knew; so do we (a USER
   * given in clear does not carry over) */
  explicit_bzero(d->user, sizeof(d->user)) ;
  d->userlen = 0 ;
}

static void do_user (pop3d *d, pop3_cmd const *c)
{
  if (!preauth_plain_ok(&d->p))
  {
    pop3_io_reply(&d->io, "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.") ;
    return ;
  }
  if (c->arglen > POP3D_USER_MAX) { pop3d_bad(d, "USER", "User name too long") ; return ; }
  memcpy(d->user, c->arg, c->arglen) ;
  d->user[c->arglen] = 0 ;
  d->userlen = c->arglen ;
  pop3_io_reply(&d->io, "+OK") ;
}

void pop3d_command (pop3d *d, char const *line, size_t len)
{
  pop3_cmd c ;
  if (!pop3_cmd_parse(line, len, &c))
  {
    pop3d_bad(d, pop3_cmd_name(c.verb), c.error) ;
    return ;
  }
  switch (c.verb)
  {
    case POP3_CAPA : do_capa(d) ; break ;
    case POP3_STLS : do_stls(d) ; break ;
    case POP3_USER : do_user(d, &c) ; break ;
    case POP3_PASS : pop3d_pass(d, &c) ; break ;
    case POP3_AUTH : pop3d_auth(d, &c) ; break ;
    case POP3_QUIT :
      pop3_io_reply(&d->io, "+OK Logging out.") ;
      log_event2("disconnect", "ip", d->p.rip, "session", d->p.session) ;
      _exit(0) ;
    case POP3_APOP : pop3_io_reply(&d->io, "-ERR APOP is not supported.") ; break ;
    case POP3_UNKNOWN : pop3d_bad(d, c.name, "Unknown command") ; break ;
    default : pop3d_bad(d, c.name, "Command not valid before login") ; break ;
  }
}

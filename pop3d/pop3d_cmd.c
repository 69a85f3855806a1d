/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/tai.h>

#include "common/banevent.h"
#include "common/log.h"
#include "common/ucspitls.h"
#include "pop3d/pop3d.h"

/* The AUTHORIZATION state (RFC 1939 §4, §7): USER, PASS, QUIT, and
 * CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034). APOP is not
 * offered (no cleartext-equivalent secrets are kept). The TRANSACTION
 * commands are refused here with a word saying so. */

int pop3d_plain_ok (pop3d const *d)
{
  return d->tls || d->plain == POP3D_PLAIN_YES || (d->plain == POP3D_PLAIN_LOOPBACK && d->loopback) ;
}

void pop3d_bad (pop3d *d, char const *name, char const *text)
{
  logline l ;
  pop3_io_puts(&d->io, "-ERR ") ;
  pop3_io_reply(&d->io, text) ;
  d->bad++ ;
  log_begin(&l, "bad_command") ;
  log_kv(&l, "ip", d->rip) ;
  log_kv(&l, "session", d->session) ;
  if (name && name[0]) log_kv(&l, "cmd", name) ;
  log_kvu(&l, "count", d->bad) ;
  log_commit(&l) ;
  if (d->bad >= d->maxbad)
  {
    log_event2("too_many_bad_commands", "ip", d->rip, "session", d->session) ;
    /* one event per abusive session, not per -ERR, as imapd (authd
     * reports the failed logins itself, with service=pop3) */
    if (d->rip[0]) banevent_send("bad_command", d->rip, "pop3", 0) ;
    pop3_io_bye(&d->io, "Too many bad commands.", 1) ;
  }
}

static void do_capa (pop3d *d)
{
  /* RFC 2449 §5: STLS only while it can be done; USER and SASL only
   * when credentials may be sent (RFC 2595 §4: a client then knows to
   * use STLS first). The TRANSACTION capabilities are listed too: a
   * client plans its session from this list. */
  pop3_io_puts(&d->io, "+OK Capability list follows\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n") ;
  if (!d->tls && ucspitls_available()) pop3_io_puts(&d->io, "STLS\r\n") ;
  if (pop3d_plain_ok(d)) pop3_io_puts(&d->io, "USER\r\nSASL PLAIN LOGIN\r\n") ;
  pop3_io_reply(&d->io, "IMPLEMENTATION posthaste\r\n.") ;
}

static void do_stls (pop3d *d)
{
  tain deadline ;
  if (d->tls) { pop3d_bad(d, "STLS", "TLS is already active") ; return ; }
  if (!ucspitls_available()) { pop3_io_reply(&d->io, "-ERR [SYS/TEMP] TLS is not available") ; return ; }
  /* queued, not sent: ucspitls_start sends it, then drops whatever the
   * client pipelined after STLS (RFC 2595 §4: nothing sent in clear is
   * run inside TLS) */
  if (buffer_putnoflush(&d->io.out, "+OK Begin TLS negotiation\r\n", 27) != 27)
    pop3_io_bye(&d->io, "Internal error", 111) ;
  tain_now_g() ;
  tain_addsec_g(&deadline, POP3D_STARTTLS_SECS) ;
  if (!ucspitls_start(&d->io.in, &d->io.out, &d->tlsinfo, &deadline))
  {
    log_event3("tls_fail", "ip", d->rip, "session", d->session, "error", strerror(errno)) ;
    _exit(errno == ETIMEDOUT ? 99 : 1) ;
  }
  d->tls = 1 ;
  /* RFC 2595 §4: the client discards what it knew; so do we (a USER
   * given in clear does not carry over) */
  explicit_bzero(d->user, sizeof(d->user)) ;
  d->userlen = 0 ;
  {
    logline l ;
    log_begin(&l, "tls") ;
    log_kv(&l, "ip", d->rip) ;
    log_kv(&l, "session", d->session) ;
    log_kv(&l, "protocol", d->tlsinfo.protocol) ;
    log_kv(&l, "cipher", d->tlsinfo.cipher) ;
    if (d->tlsinfo.discarded) log_kvu(&l, "discarded", d->tlsinfo.discarded) ;
    log_commit(&l) ;
  }
}

static void do_user (pop3d *d, pop3_cmd const *c)
{
  if (!pop3d_plain_ok(d))
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
      log_event2("disconnect", "ip", d->rip, "session", d->session) ;
      _exit(0) ;
    case POP3_APOP : pop3_io_reply(&d->io, "-ERR APOP is not supported.") ; break ;
    case POP3_UNKNOWN : pop3d_bad(d, c.name, "Unknown command") ; break ;
    default : pop3d_bad(d, c.name, "Command not valid before login") ; break ;
  }
}

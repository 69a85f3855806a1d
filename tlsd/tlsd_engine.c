/* ISC license. */

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "tlsd.h"

/* The TLS engine, in the child. In order: open the certificate and key
 * files and read the ticket key (root), drop to the TLS uid, parse the
 * default chain and build the context (so that a configuration error is
 * known before the client asks), then either handshake at once
 * (implicit) or wait for the app's 'Y' on the control socket (STARTTLS),
 * report the parameters, and relay.
 *
 * With a configuration error the engine exits at once, before its
 * readiness byte: in STARTTLS mode the parent then runs the app without
 * the UCSPI-TLS variables (no STARTTLS offered; and should the engine
 * die later, ucspitls_available() sees the control socket closed); in
 * implicit mode the parent sees the control socket close and ends the
 * connection. */

static tlsd_conf conf ;

static void refuse (void)
{
  _exit(111) ;
}

void tlsd_engine (tlsd_engineopts const *o)
{
  SSL_CTX *ctx ;
  SSL *ssl ;
  tain deadline ;

  /* a write to a closed pipe or socket is an error code, not a death */
  if (!sig_altignore(SIGPIPE)) strerr_diefu1sys(111, "ignore SIGPIPE") ;

  tlsd_conf_load(&conf) ;
  tlsd_drop(o->uid, o->gid, o->hasids) ;
  if (!conf.ok) refuse() ;

  ctx = tlsd_ctx_new(&conf) ;
  if (!ctx) refuse() ;
  ssl = SSL_new(ctx) ;
  if (!ssl)
  {
    tlsd_log_configssl("unable to create the TLS connection object") ;
    refuse() ;
  }
  if (!tlsd_cert_install(ssl, conf.primary, conf.nprimary, 0)) refuse() ;
  tlsd_files_close(&conf.primary[0]) ;
  tlsd_files_close(&conf.primary[1]) ;
  if (o->ready >= 0)
  {
    if (fd_write(o->ready, "", 1) != 1) _exit(111) ;
    fd_close(o->ready) ;
  }

  if (!o->implicit)
  {
    /* Nothing is read from the client until the app asks: the socket
     * still belongs to the app, and its flags with it. */
    char c ;
    ssize_t r ;
    do r = read(o->ctl, &c, 1) ; while (r < 0 && errno == EINTR) ;
    if (!r) _exit(0) ;  /* the app ended without STARTTLS */
    if (r < 0) strerr_diefu1sys(111, "read the control socket") ;
    if (c != 'Y' && c != 'y')
    {
      log_event2("tls_ctl_error", "ip", tlsd_ip, "reason", "unknown command on the control socket") ;
      _exit(100) ;
    }
  }

  if (ndelay_on(0) < 0) strerr_diefu1sys(111, "make the socket non-blocking") ;
  if (!SSL_set_fd(ssl, 0))
  {
    tlsd_log_configssl("unable to attach the socket") ;
    _exit(111) ;
  }
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, o->handshakesecs) ;
  if (!tlsd_handshake(ssl, 0, &deadline)) _exit(errno == ETIMEDOUT ? 99 : 1) ;
  tlsd_conf_close_sni(&conf) ;
  tlsd_log_handshake(ssl) ;

  /* The report, then EOF: the app reads until EOF and an empty report
   * means failure, so a half-written report cannot pass for success. */
  {
    char buf[TLSD_REPORT_MAX] ;
    size_t len = tlsd_report(ssl, buf, sizeof(buf)) ;
    if (allwrite(o->ctl, buf, len) < len) strerr_diefu1sys(111, "write the TLS parameters") ;
    fd_shutdown(o->ctl, 1) ;
    fd_close(o->ctl) ;
  }

  if (ndelay_on(o->fromapp) < 0 || ndelay_on(o->toapp) < 0) strerr_diefu1sys(111, "make the pipes non-blocking") ;
  _exit(tlsd_relay(ssl, 0, o->fromapp, o->toapp, o->idlesecs)) ;
}

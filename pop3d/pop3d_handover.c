/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/handover.h"
#include "common/log.h"
#include "pop3d/pop3d.h"

/* The client goes to pop3-session (docs/internals.md, "Handover"): fds
 * 0 and 1 (the TCP socket, or tlsd's pipes), what we know of the
 * connection, and the bytes it already sent after PASS/AUTH
 * (PIPELINING). After K the session owns the client, and we exit
 * without a word: the session says "+OK" once the maildrop is locked. */

static int add (stralloc *sa, char const *k, char const *v)
{
  return !v || !*v || handover_field(sa, k, v) ;
}

void pop3d_handover (pop3d *d, char const *user, char const *ticket)
{
  stralloc f = STRALLOC_ZERO ;
  char pending[HANDOVER_PENDING_MAX] ;
  char text[HANDOVER_ANSWER_MAX] ;
  size_t plen = 0 ;
  tain deadline ;
  int r ;
  if (buffer_len(&d->io.out)) pop3_io_flush(&d->io) ;
  {
    struct iovec v[2] ;
    buffer_rpeek(&d->io.in, v) ;
    for (unsigned int i = 0 ; i < 2 ; i++)
    {
      size_t n = v[i].iov_len ;
      if (n > sizeof(pending) - plen) n = sizeof(pending) - plen ;
      if (n) memcpy(pending + plen, v[i].iov_base, n) ;   /* an empty part may have no base */
      plen += n ;
    }
  }
  if (!handover_field(&f, "service", "pop3") || !handover_field(&f, "ticket", ticket)
   || !add(&f, "user", user)
   || !add(&f, "rip", d->rip) || !add(&f, "rport", d->rport)
   || !add(&f, "lip", d->lip) || !add(&f, "lport", d->lport)
   || (d->tls && (!handover_field(&f, "tls", "1")
                  || !add(&f, "SSL_PROTOCOL", d->tlsinfo.protocol)
                  || !add(&f, "SSL_CIPHER", d->tlsinfo.cipher)))
   || !handover_field(&f, "session", d->session))
  {
    log_event3("handover_fail", "ip", d->rip, "session", d->session, "error", strerror(errno)) ;
    pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Internal error, try again later.") ;
    goto end ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT + 5) ;
  r = handover_send(d->sessionpath, 0, 1, f.s, f.len, pending, plen, text, sizeof(text), &deadline) ;
  if (r == 'K')
  {
    logline l ;
    log_begin(&l, "login") ;
    log_kv(&l, "ip", d->rip) ;
    log_kv(&l, "user", user) ;
    log_kv(&l, "session", d->session) ;
    if (d->tls) log_kv(&l, "tls", d->tlsinfo.protocol) ;
    if (plen) log_kvu(&l, "pipelined", plen) ;
    log_commit(&l) ;
    _exit(0) ;
  }
  {
    logline l ;
    log_begin(&l, "handover_fail") ;
    log_kv(&l, "ip", d->rip) ;
    log_kv(&l, "user", user) ;
    log_kv(&l, "session", d->session) ;
    if (r) { char c[2] = { (char)r, 0 } ; log_kv(&l, "answer", c) ; log_kv(&l, "text", text) ; }
    else log_kv(&l, "error", strerror(errno)) ;
    log_commit(&l) ;
  }
  if (r == 'D') pop3_io_reply(&d->io, "-ERR [AUTH] Authentication failed.") ;
  else pop3_io_reply(&d->io, "-ERR [SYS/TEMP] Mailbox service unavailable, try again later.") ;
 end:
  if (f.s) explicit_bzero(f.s, f.len) ;
  stralloc_free(&f) ;
}

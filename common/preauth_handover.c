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
#include "common/preauth.h"

/* The client goes to the session (docs/internals.md, "Handover"): fds
 * 0 and 1 (the TCP socket, or tlsd's pipes), what we know of the
 * connection, and the bytes it already sent after the login command
 * (pipelining). After K the session owns the client, and we exit
 * without a word: the session sends the protocol's OK. */

static int add (stralloc *sa, char const *k, char const *v)
{
  return !v || !*v || handover_field(sa, k, v) ;
}

static size_t peek_pending (buffer *in, char *pending, size_t max)
{
  struct iovec v[2] ;
  size_t len = 0 ;
  buffer_rpeek(in, v) ;
  for (unsigned int i = 0 ; i < 2 ; i++)
  {
    size_t n = v[i].iov_len ;
    if (n > max - len) n = max - len ;
    if (n) memcpy(pending + len, v[i].iov_base, n) ;   /* an empty part may have no base */
    len += n ;
  }
  return len ;
}

static int fields (preauth const *p, stralloc *f, char const *user, char const *tag, char const *ticket)
{
  return handover_field(f, "service", p->service) && handover_field(f, "ticket", ticket)
   && add(f, "user", user) && (!tag || handover_field(f, "tag", tag))
   && add(f, "rip", p->rip) && add(f, "rport", p->rport)
   && add(f, "lip", p->lip) && add(f, "lport", p->lport)
   && (!p->tls || (handover_field(f, "tls", "1")
                   && add(f, "SSL_PROTOCOL", p->tlsinfo.protocol)
                   && add(f, "SSL_CIPHER", p->tlsinfo.cipher)))
   && handover_field(f, "session", p->session) ;
}

int preauth_handover (preauth *p, buffer *in, char const *user, char const *tag, char const *ticket)
{
  stralloc f = STRALLOC_ZERO ;
  char pending[HANDOVER_PENDING_MAX] ;
  char text[HANDOVER_ANSWER_MAX] ;
  size_t plen = peek_pending(in, pending, sizeof(pending)) ;
  tain deadline ;
  int r ;
  if (!fields(p, &f, user, tag, ticket))
  {
    log_event3("handover_fail", "ip", p->rip, "session", p->session, "error", strerror(errno)) ;
    r = -1 ;
    goto end ;
  }
  tain_now_g() ;
  tain_addsec_g(&deadline, HANDOVER_TIMEOUT + 5) ;
  r = handover_send(p->sessionpath, 0, 1, f.s, f.len, pending, plen, text, sizeof(text), &deadline) ;
  if (r == 'K')
  {
    logline l ;
    log_begin(&l, "login") ;
    log_kv(&l, "ip", p->rip) ;
    log_kv(&l, "user", user) ;
    log_kv(&l, "session", p->session) ;
    if (p->tls) log_kv(&l, "tls", p->tlsinfo.protocol) ;
    if (plen) log_kvu(&l, "pipelined", plen) ;
    log_commit(&l) ;
    _exit(0) ;
  }
  {
    logline l ;
    log_begin(&l, "handover_fail") ;
    log_kv(&l, "ip", p->rip) ;
    log_kv(&l, "user", user) ;
    log_kv(&l, "session", p->session) ;
    if (r) { char c[2] = { (char)r, 0 } ; log_kv(&l, "answer", c) ; log_kv(&l, "text", text) ; }
    else log_kv(&l, "error", strerror(errno)) ;
    log_commit(&l) ;
  }
  if (r != 'D') r = 'Z' ;
 end:
  explicit_bzero(pending, sizeof(pending)) ;
  if (f.s) explicit_bzero(f.s, f.len) ;
  stralloc_free(&f) ;
  return r ;
}

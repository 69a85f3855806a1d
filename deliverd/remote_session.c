/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "smtpc.h"
#include "remote_deliver.h"

 /* Connection set-up: RFC 5321 3.1 (greeting), 4.1.1.1 (EHLO, HELO as
    the fallback when EHLO is refused), RFC 3207 (STARTTLS, through tlsc:
    we never link libssl), RFC 8689 4.2.1 (what REQUIRETLS mail needs of
    a server), RFC 4954 (AUTH to a smarthost, only over TLS). */

static int loopback (ip46 const *ip)
{
  static char const lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } ;
  return ip46_is6(ip) ? !memcmp(ip->ip, lo6, 16) : (unsigned char)ip->ip[0] == 127 ;
}

static void wipe (stralloc *sa)
{
  if (sa->s) memset(sa->s, 0, sa->a) ;
  stralloc_free(sa) ;
}

 /* "AUTH PLAIN <base64(\0user\0pass)>" with the initial response
    (RFC 4954 4, RFC 4616), or AUTH LOGIN's two challenges. The secrets
    are wiped from memory when done and never logged. */
static int auth (remote_ctx *x, remote_fail *f)
{
  smtpc *c = &x->conn ;
  remote_route const *r = &x->route ;
  stralloc cmd = STRALLOC_ZERO ;
  stralloc raw = STRALLOC_ZERO ;
  smtpc_reply rep ;
  tain deadline ;
  int plain = !!(c->caps.auth & SMTPC_AUTH_PLAIN) ;
  int ok = 0 ;
  size_t ul = strlen(r->user), pl = strlen(r->pass) ;

  if (!c->tls && !(x->conf.auth_insecure && loopback(&c->ip)))
  {
    remote_fail_local(x, f, "4.7.10", "the relay needs AUTH, which is only ever sent over TLS, and it offers no STARTTLS", 0) ;
    return 0 ;
  }
  if (!(c->caps.flags & SMTPC_AUTH) || !(c->caps.auth & (SMTPC_AUTH_PLAIN | SMTPC_AUTH_LOGIN)))
  {
    remote_fail_local(x, f, "4.7.0", "the relay offers neither AUTH PLAIN nor AUTH LOGIN", 0) ;
    return 0 ;
  }
  remote_deadline(&deadline, x->conf.t_command) ;
  if (plain)
  {
    if (!stralloc_catb(&raw, "", 1) || !stralloc_catb(&raw, r->user, ul) || !stralloc_catb(&raw, "", 1)
     || !stralloc_catb(&raw, r->pass, pl)
     || !stralloc_cats(&cmd, "AUTH PLAIN ") || !smtpc_base64(raw.s, raw.len, &cmd) || !stralloc_cats(&cmd, "\r\n"))
      goto nomem ;
    if (!smtpc_send(c, cmd.s, cmd.len, &deadline) || !smtpc_read(c, &rep, &deadline)) goto io ;
  }
  else
  {
    if (!smtpc_send(c, "AUTH LOGIN\r\n", 12, &deadline) || !smtpc_read(c, &rep, &deadline)) goto io ;
    for (unsigned int step = 0 ; step < 2 && rep.code == 334 ; step++)
    {
      cmd.len = 0 ;
      if (!smtpc_base64(step ? r->pass : r->user, step ? pl : ul, &cmd) || !stralloc_cats(&cmd, "\r\n")) goto nomem ;
      if (!smtpc_send(c, cmd.s, cmd.len, &deadline) || !smtpc_read(c, &rep, &deadline)) goto io ;
    }
  }
  if (rep.code == 235) ok = 1 ;
  else
  {
    remote_fail_reply(x, f, &rep, "AUTH") ;
     /* a refused login is the admin's to fix: wait, never bounce */
    f->text[0] = '4' ;
  }
  wipe(&cmd) ;
  wipe(&raw) ;
  return ok ;
 io:
  wipe(&cmd) ;
  wipe(&raw) ;
  return remote_fail_io(x, f, "during AUTH") ;
 nomem:
  wipe(&cmd) ;
  wipe(&raw) ;
  remote_fail_local(x, f, "4.3.0", "out of memory", 0) ;
  return 0 ;
}

static int hello (remote_ctx *x, remote_fail *f)
{
  smtpc *c = &x->conn ;
  stralloc cmd = STRALLOC_ZERO ;
  smtpc_reply rep ;
  tain deadline ;
  int r = 0 ;
  if (!stralloc_cats(&cmd, "EHLO ") || !stralloc_cats(&cmd, x->conf.helo) || !stralloc_cats(&cmd, "\r\n"))
  {
    remote_fail_local(x, f, "4.3.0", "out of memory", 0) ;
    goto end ;
  }
  remote_deadline(&deadline, x->conf.t_command) ;
  if (!smtpc_send(c, cmd.s, cmd.len, &deadline) || !smtpc_read(c, &rep, &deadline)) { remote_fail_io(x, f, "after EHLO") ; goto end ; }
  if (rep.code / 100 == 2)
  {
    smtpc_ehlo_parse(&rep, &c->caps) ;
    c->esmtp = 1 ;
  }
  else if (rep.code / 100 == 5)
  {
     /* RFC 5321 3.2: a server that does not know EHLO gets HELO */
    cmd.s[0] = 'H' ; cmd.s[1] = 'E' ;
    if (!smtpc_send(c, cmd.s, cmd.len, &deadline) || !smtpc_read(c, &rep, &deadline)) { remote_fail_io(x, f, "after HELO") ; goto end ; }
    if (rep.code / 100 != 2)
    {
      remote_fail_reply(x, f, &rep, "HELO") ;
      r = rep.code / 100 == 5 ? -1 : 0 ;
      goto end ;
    }
    memset(&c->caps, 0, sizeof(c->caps)) ;
    {
      size_t n = 0 ;
      while (n < rep.len && n < DNS_NAME_MAX && rep.text[n] != ' ' && rep.text[n] != '\n')
      {
        char ch = rep.text[n] ;
        c->caps.name[n++] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch ;
      }
      c->caps.name[n] = 0 ;
    }
  }
  else
  {
    remote_fail_reply(x, f, &rep, "EHLO") ;
    goto end ;
  }
   /* RFC 5321 5.1: never deliver to ourselves */
  if (!case_diffs(c->caps.name, x->conf.helo))
  {
    remote_fail_local(x, f, "5.4.6", "mail loops back to myself: the server greets with our own name", c->caps.name) ;
    r = -1 ;
    goto end ;
  }
  r = 1 ;
 end:
  stralloc_free(&cmd) ;
  return r ;
}

/* What this session needs of TLS. */
#define TLS_REQUIRED 0x01   /* no session without it */
#define TLS_VERIFIED 0x02   /* and the certificate must verify */

static unsigned int tls_need (remote_ctx *x)
{
  unsigned int need = 0 ;
  if (x->req->requiretls) need |= TLS_REQUIRED | TLS_VERIFIED ;
  if (x->conf.tls_verify == REMOTE_VERIFY_ALL || (x->conf.tls_verify == REMOTE_VERIFY_RELAY && x->route.relay))
    need |= TLS_REQUIRED | TLS_VERIFIED ;
  if (x->route.relay && x->route.auth && !(x->conf.auth_insecure && loopback(&x->conn.ip))) need |= TLS_REQUIRED ;
  return need ;
}

 /* A server that cannot give what the session needs. REQUIRETLS mail
    fails permanently there (RFC 8689 4.2.1: try the other MX hosts, then
    return the message with 5.7.30); PH_TLS_VERIFY and AUTH make it wait
    (4.7.4 no TLS, 4.7.5 a TLS failure, RFC 3463). */
static int tls_refuse (remote_ctx *x, remote_fail *f, char const *code, char const *what, char const *error)
{
  if (x->req->requiretls)
  {
    char text[REMOTE_TEXT_MAX + 1] ;
    size_t n = strlen(what) ;
    static char const pre[] = "REQUIRETLS support required: " ;
    if (n > sizeof(text) - sizeof(pre)) n = sizeof(text) - sizeof(pre) ;
    memcpy(text, pre, sizeof(pre) - 1) ;
    memcpy(text + sizeof(pre) - 1, what, n) ;
    text[sizeof(pre) - 1 + n] = 0 ;
    remote_fail_local(x, f, "5.7.30", text, error) ;
    return -1 ;
  }
  remote_fail_local(x, f, code, what, error) ;
  return 0 ;
}

static void log_tls (remote_ctx *x)
{
  smtpc const *c = &x->conn ;
  logline l ;
  log_begin(&l, "remote_tls") ;
  log_kv(&l, "qid", x->req->qid) ;
  log_kv(&l, "host", c->host) ;
  log_kv(&l, "ip", c->ipfmt) ;
  log_kv(&l, "proto", c->tlsinfo.protocol) ;
  log_kv(&l, "cipher", c->tlsinfo.cipher) ;
  log_kv(&l, "verified", c->tlsc.verified ? "yes" : "no") ;
  if (!c->tlsc.verified) log_kv(&l, "verify_error", c->tlsc.verify_error) ;
  if (c->tlsc.peer_cn[0]) log_kv(&l, "cn", c->tlsc.peer_cn) ;
  log_commit(&l) ;
}

static char const *tls_error (int e)
{
  switch (e)
  {
    case ECONNREFUSED : return "handshake failed" ;
    case ETIMEDOUT : return "handshake timed out" ;
    case EPROTO : return "protocol error" ;
    case ENOENT : return "no TLS client (tlsc) to run" ;
    case EINVAL : return "the TLS client refused its settings" ;
    default : return strerror(e) ;
  }
}

 /* Was it the server's doing, or ours (tlsc missing, a bad CA file, a
    system error)? Only the server's count against it. */
static int peer_error (int e)
{
  return e == ECONNREFUSED || e == ETIMEDOUT || e == EPROTO || e == EPERM ;
}

static void log_tls_failed (remote_ctx *x, char const *reason, char const *detail, int plain)
{
  smtpc const *c = &x->conn ;
  logline l ;
  log_begin(&l, "remote_tls_failed") ;
  log_kv(&l, "qid", x->req->qid) ;
  log_kv(&l, "host", c->host) ;
  log_kv(&l, "ip", c->ipfmt) ;
  log_kv(&l, "reason", reason) ;
  if (detail && *detail) log_kv(&l, "detail", detail) ;
  if (plain) log_kv(&l, "then", "plaintext") ;
  log_commit(&l) ;
}

#define TLS_OK 1
#define TLS_CLEAR 3       /* no TLS: go on in clear on this connection */
#define TLS_RETRY 2       /* the handshake failed: a new connection in clear */

 /* RFC 3207 4: STARTTLS, 220, the handshake through tlsc, EHLO again.
    Returns TLS_OK, TLS_CLEAR, TLS_RETRY, or 0 / -1 (the host failed,
    temporarily / permanently, *f set). */
static int starttls (remote_ctx *x, remote_fail *f, unsigned int need)
{
  smtpc *c = &x->conn ;
  smtpc_reply rep ;
  tain deadline ;
  char const *name = x->route.literal ? c->ipfmt : c->host ;
  int r ;

  if (!(c->caps.flags & SMTPC_STARTTLS))
  {
    if (need & TLS_VERIFIED)   /* REQUIRETLS, PH_TLS_VERIFY; AUTH's refusal is auth()'s */
      return tls_refuse(x, f, "4.7.4", "TLS is required and the server does not offer STARTTLS", 0) ;
    return TLS_CLEAR ;
  }
  remote_deadline(&deadline, x->conf.t_command) ;
  if (!smtpc_send(c, "STARTTLS\r\n", 10, &deadline) || !smtpc_read(c, &rep, &deadline)) return remote_fail_io(x, f, "after STARTTLS") ;
  if (rep.code != 220)
  {
    if (need & TLS_VERIFIED) return tls_refuse(x, f, "4.7.4", "TLS is required and the server refused STARTTLS", 0) ;
    return TLS_CLEAR ;   /* RFC 3207 4: the session goes on as it was */
  }
  remote_deadline(&deadline, x->conf.t_command) ;
  if (!smtpc_starttls(c, name, (need & TLS_VERIFIED) ? UCSPITLS_CLIENT_VERIFY : 0, &deadline))
  {
    int e = errno ;
    if (e == EPERM)
    {
      log_tls_failed(x, "certificate not verified", c->tlsc.verify_error, 0) ;
      return tls_refuse(x, f, "4.7.5", "TLS is required and the server's certificate did not verify", c->tlsc.verify_error) ;
    }
    if (!peer_error(e))
    {
       /* ours, not the server's: REQUIRETLS mail waits too */
      log_tls_failed(x, tls_error(e), 0, !(need & TLS_REQUIRED)) ;
      if (!(need & TLS_REQUIRED)) return TLS_RETRY ;
      remote_fail_local(x, f, "4.7.5", "the TLS client failed", tls_error(e)) ;
      return 0 ;
    }
    log_tls_failed(x, tls_error(e), 0, !(need & TLS_REQUIRED)) ;
    if (!(need & TLS_REQUIRED)) return TLS_RETRY ;
    return tls_refuse(x, f, "4.7.5", "TLS is required and the TLS handshake failed", tls_error(e)) ;
  }
  log_tls(x) ;
  if ((need & TLS_VERIFIED) && !c->tlsc.verified)
    return tls_refuse(x, f, "4.7.5", "TLS is required and the server's certificate did not verify", c->tlsc.verify_error) ;

  r = hello(x, f) ;   /* RFC 3207 4.2: forget what was said in clear, ask again */
  if (r <= 0) return r ;
  if (x->req->requiretls && !(c->caps.flags & SMTPC_REQUIRETLS))
    return tls_refuse(x, f, "5.7.30", "the server does not offer REQUIRETLS", 0) ;
  return TLS_OK ;
}

 /* One attempt at a session: connect, greeting, EHLO, STARTTLS unless
    clear (the second attempt after a failed handshake), AUTH. */
static int open_session (remote_ctx *x, remote_addr const *a, remote_fail *f, int clear)
{
  smtpc *c = &x->conn ;
  smtpc_reply rep ;
  tain deadline ;
  int r ;
  char port[UINT16_FMT] ;

  remote_deadline(&deadline, x->conf.t_connect) ;
  if (!smtpc_connect(c, a->host, &a->ip, a->port, &deadline))
  {
    remote_fail_local(x, f, "4.4.1", "connect failed", errno == ETIMEDOUT ? "timeout" : strerror(errno)) ;
    port[uint16_fmt(port, a->port)] = 0 ;
    {
      logline l ;
      log_begin(&l, "connect_failed") ;
      log_kv(&l, "qid", x->req->qid) ;
      log_kv(&l, "host", c->host) ;
      log_kv(&l, "ip", c->ipfmt) ;
      log_kv(&l, "port", port) ;
      log_kv(&l, "reason", errno == ETIMEDOUT ? "timeout" : strerror(errno)) ;
      log_commit(&l) ;
    }
    return 0 ;
  }
  port[uint16_fmt(port, a->port)] = 0 ;
  {
    logline l ;
    log_begin(&l, "remote_connect") ;
    log_kv(&l, "qid", x->req->qid) ;
    log_kv(&l, "host", c->host) ;
    log_kv(&l, "ip", c->ipfmt) ;
    log_kv(&l, "port", port) ;
    if (x->route.relay) log_kv(&l, "relay", x->route.nexthop) ;
    log_commit(&l) ;
  }

  remote_deadline(&deadline, x->conf.t_greeting) ;
  if (!smtpc_read(c, &rep, &deadline)) return remote_fail_io(x, f, "waiting for the greeting") ;
  if (rep.code / 100 != 2)
  {
     /* RFC 5321 3.1: a 554 greeting sends us to the next MX; if they
        all refuse, the message waits */
    remote_fail_reply(x, f, &rep, 0) ;
    f->text[0] = '4' ;
    return 0 ;
  }
  r = hello(x, f) ;
  if (r <= 0) return r ;

   /* Opportunistic STARTTLS (RFC 7435) whenever offered; required for
      REQUIRETLS mail, PH_TLS_VERIFY's hosts and a relay that gets AUTH. */
  if (!clear)
  {
    r = starttls(x, f, tls_need(x)) ;
    if (r == TLS_RETRY) return TLS_RETRY ;
    if (r <= 0) return r ;
  }

  if (x->route.relay && x->route.auth)
  {
    if (!auth(x, f)) return 0 ;
  }
  return 1 ;
}

int remote_session (remote_ctx *x, remote_addr const *a, remote_fail *f)
{
  int r = open_session(x, a, f, 0) ;
  if (r != TLS_RETRY) return r ;
   /* RFC 3207 practice: a failed handshake leaves the connection
      useless; the same host again, in clear, since TLS was not required */
  smtpc_close(&x->conn) ;
  return open_session(x, a, f, 1) ;
}

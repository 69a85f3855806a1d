/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/tai.h>

#include "common/dns.h"
#include "common/log.h"
#include "smtpc.h"
#include "remote_deliver.h"
#include "remote_resolve.h"
#include "remote_route.h"
#include "remote_self.h"

 /* The order of things for one request: the route (smarthost or MX);
    the connection kept
    from the previous request, if it serves the same destination (RSET
    first); else the addresses in MX order, each until one takes the
    transaction. A host that fails before the recipients' verdicts
    (refused connection, 4xx greeting, timeout, lost connection, a
    capability the message needs) sends them to the next address. When
    every address failed, the recipients left get the last temporary
    failure (Z) if there was one, else the last permanent one (D).
    REQUIRETLS mail goes only over verified TLS to a server that offers
    REQUIRETLS (remote_session.c); a host that cannot is a permanent
    failure (5.7.30), so the mail bounces when no host can. */

static void fail_all (remote_ctx *x, char v, remote_fail const *f)
{
  for (unsigned int i = 0 ; i < x->req->n ; i++)
    if (!x->result[i].verdict) remote_verdict_fail(&x->result[i], v, f) ;
}

 /* "4.3.5 text" → a failure with that code. */
static void fail_coded (remote_fail *f, char const *coded)
{
  char code[16] ;
  size_t n = 0 ;
  while (coded[n] && coded[n] != ' ' && n < sizeof(code) - 1) { code[n] = coded[n] ; n++ ; }
  code[n] = 0 ;
  remote_fail_text(f, code, coded[n] ? coded + n + 1 : "") ;
}

 /* Runs transactions on x->conn until every recipient has a verdict.
    1 done, 0 / -1 the host failed (temporary / permanent, *f set). */
static int transact (remote_ctx *x, remote_fail *f)
{
  unsigned int idx[REMOTE_TXN_RCPTS] ;
  for (;;)
  {
    unsigned int n = 0 ;
    int r ;
    for (unsigned int i = 0 ; i < x->req->n && n < REMOTE_TXN_RCPTS ; i++)
      if (!x->result[i].verdict) idx[n++] = i ;
    if (!n) return 1 ;
    if (x->conn.uses)
    {
       /* a transaction before this one on the same connection */
      smtpc_reply rep ;
      tain deadline ;
      remote_deadline(&deadline, x->conf.t_command) ;
      if (!smtpc_send(&x->conn, "RSET\r\n", 6, &deadline) || !smtpc_read(&x->conn, &rep, &deadline) || rep.code / 100 != 2)
      {
        x->conn.broken = 1 ;
        remote_fail_local(x, f, "4.4.2", "the server did not accept RSET", 0) ;
        return 0 ;
      }
    }
    r = remote_txn(x, idx, n, f) ;
    if (r <= 0) return r ;
  }
}

static void close_conn (remote_ctx *x)
{
  tain deadline ;
  if (x->conn.fd < 0) return ;
  remote_deadline(&deadline, x->conf.t_quit) ;
  smtpc_quit(&x->conn, &deadline) ;
}

 /* Is the kept connection good for this request? */
static int reusable (remote_ctx *x)
{
  smtpc const *c = &x->conn ;
  tain age ;
  if (c->fd < 0 || c->broken || strcmp(c->key, x->route.key)) return 0 ;
   /* a connection opened for other mail may be in clear or unverified */
  if (x->req->requiretls && !(c->tls && c->tlsc.verified && (c->caps.flags & SMTPC_REQUIRETLS))) return 0 ;
  if (x->conf.reuse_max && c->uses >= x->conf.reuse_max) return 0 ;
  tain_now_g() ;
  tain_sub(&age, &STAMP, &c->born) ;
  return tain_to_millisecs(&age) < (int)(x->conf.reuse_age * 1000) ;
}

static void log_verdicts (remote_ctx *x)
{
  for (unsigned int i = 0 ; i < x->req->n ; i++)
  {
    remote_result const *r = &x->result[i] ;
    logline l ;
    char dsn[16] ;
    size_t n = 0 ;
    while (r->text[n] && r->text[n] != ' ' && n < sizeof(dsn) - 1) { dsn[n] = r->text[n] ; n++ ; }
    dsn[n] = 0 ;
    log_begin(&l, r->verdict == 'K' ? "sent" : r->verdict == 'D' ? "bounced" : "deferred") ;
    log_kv(&l, "qid", x->req->qid) ;
    log_kv(&l, "rcpt", x->req->rcpt[i].addr) ;
    if (r->relay[0]) log_kv(&l, "relay", r->relay) ;
    log_kv(&l, "dsn", dsn) ;
    if (r->diag[0]) log_kv(&l, "reply", r->diag) ;
    else log_kv(&l, "reason", r->text[n] ? r->text + n + 1 : "") ;
    if (r->relayed) log_kv(&l, "relayed", "1") ;
    log_commit(&l) ;
  }
}

static int ensure_dns (remote_ctx *x, remote_fail *f)
{
  if (x->dns_ready) return 1 ;
  if (!dns_init(&x->dns))
  {
    remote_fail_text(f, "4.4.3", errno == EINVAL ? "invalid PH_DNS_RESOLVER" : "unable to set up the DNS resolver") ;
    return 0 ;
  }
  x->dns_ready = 1 ;
  return 1 ;
}

int remote_deliver (remote_ctx *x)
{
  static remote_addr addr[REMOTE_ADDR_MAX] ;
  remote_fail f, temp, perm ;
  unsigned int naddr = 0 ;
  int havetemp = 0, haveperm = 0 ;
  char const *why = 0 ;
  int k ;

  x->longlines_logged = 0 ;
  for (unsigned int i = 0 ; i < x->req->n ; i++)
  {
    remote_result *r = &x->result[i] ;
    r->verdict = 0 ; r->accepted = 0 ; r->relayed = 0 ;
    r->text[0] = r->diag[0] = r->mta[0] = r->relay[0] = 0 ;
  }

  k = remote_route_find(&x->conf, &x->domains, x->req->sender, x->req->domain, &x->route, &why) ;
  if (k <= 0)
  {
    fail_coded(&f, why) ;
    fail_all(x, k < 0 ? 'D' : 'Z', &f) ;
    goto done ;
  }

  if (x->conn.fd >= 0)
  {
    if (reusable(x))
    {
      logline l ;
      log_begin(&l, "remote_reuse") ;
      log_kv(&l, "qid", x->req->qid) ;
      log_kv(&l, "host", x->conn.host) ;
      log_kv(&l, "ip", x->conn.ipfmt) ;
      log_kvu(&l, "uses", x->conn.uses) ;
      log_commit(&l) ;
      k = transact(x, &f) ;
      if (k == 1) goto done ;
       /* the kept connection failed (the server closed it, most
          likely): start afresh */
    }
    close_conn(x) ;
  }

  if (!ensure_dns(x, &f)) { fail_all(x, 'Z', &f) ; goto done ; }
  {
    char text[REMOTE_TEXT_MAX + 1] ;
    k = remote_resolve(&x->dns, &x->conf, &x->route, addr, &naddr, text, sizeof(text)) ;
    if (k <= 0)
    {
      fail_coded(&f, text) ;
      fail_all(x, k < 0 ? 'D' : 'Z', &f) ;
      goto done ;
    }
  }

  for (unsigned int a = 0 ; a < naddr ; a++)
  {
    if (remote_self(&x->conf, &addr[a].ip, addr[a].port))
    {
      x->conn.fd = -1 ;
      memcpy(x->conn.host, addr[a].host, strlen(addr[a].host) + 1) ;
      x->conn.ip = addr[a].ip ;
      x->conn.port = addr[a].port ;
      x->conn.ipfmt[ip46_fmt(x->conn.ipfmt, &addr[a].ip)] = 0 ;
      remote_fail_local(x, &perm, "5.4.6", "mail loops back to myself: that is our own SMTP listener", 0) ;
      haveperm = 1 ;
      continue ;
    }
    k = remote_session(x, &addr[a], &f) ;
    if (k > 0)
    {
      memcpy(x->conn.key, x->route.key, strlen(x->route.key) + 1) ;
      k = transact(x, &f) ;
      if (k == 1) goto done ;
    }
    if (k < 0) { perm = f ; haveperm = 1 ; }
    else { temp = f ; havetemp = 1 ; }
    close_conn(x) ;
  }
  if (havetemp) fail_all(x, 'Z', &temp) ;
  else if (haveperm) fail_all(x, 'D', &perm) ;
  else
  {
    remote_fail_text(&f, "4.4.1", "no address to try") ;
    fail_all(x, 'Z', &f) ;
  }

 done:
  if (x->conn.fd >= 0 && x->conn.broken) close_conn(x) ;
  log_verdicts(x) ;
  return 1 ;
}

/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_DELIVER_H
#define POSTHASTE_DELIVERD_REMOTE_DELIVER_H

/* One request: route, resolve, connect (or reuse), transact, and a
 * verdict for every recipient. */

#include <stddef.h>

#include <skalibs/tai.h>

#include "common/cdbmap.h"
#include "common/dns.h"
#include "remote_conf.h"
#include "remote_msg.h"
#include "remote_req.h"
#include "remote_resolve.h"
#include "remote_route.h"
#include "smtpc.h"

#define REMOTE_TEXT_MAX 1000   /* a verdict text, a diagnostic */
#define REMOTE_RELAY_MAX (DNS_NAME_MAX + IP46_FMT + 16)
#define REMOTE_TXN_RCPTS 100   /* RCPTs per transaction (RFC 5321 4.5.3.1.8: servers take 100) */

typedef struct remote_result_s remote_result, *remote_result_ref ;
struct remote_result_s
{
  char verdict ;                       /* 0 pending, 'K', 'Z' or 'D' */
  int accepted ;                       /* RCPT accepted in the current transaction */
  int relayed ;                        /* NOTIFY had SUCCESS, the peer has no DSN (RFC 3461 5.2.2) */
  char text[REMOTE_TEXT_MAX + 1] ;     /* "2.0.0 host[ip] said: 250 ..." */
  char diag[REMOTE_TEXT_MAX + 1] ;     /* the remote reply on one line, or "" */
  char mta[DNS_NAME_MAX + 3] ;         /* the remote MTA that answered, or "" */
  char relay[REMOTE_RELAY_MAX] ;       /* "host[ip]:port" for the logs, or "" */
} ;

/* Why a host could not take the message: a verdict text with its
 * enhanced code, and the remote reply behind it if there was one. */
typedef struct remote_fail_s remote_fail, *remote_fail_ref ;
struct remote_fail_s
{
  char text[REMOTE_TEXT_MAX + 1] ;
  char diag[REMOTE_TEXT_MAX + 1] ;
  char mta[DNS_NAME_MAX + 3] ;
  char relay[REMOTE_RELAY_MAX] ;
} ;

typedef struct remote_ctx_s remote_ctx, *remote_ctx_ref ;
struct remote_ctx_s
{
  remote_conf conf ;
  dns dns ;
  int dns_ready ;
  cdbmap domains ;
  char domains_path[4096] ;
  smtpc conn ;                         /* the connection kept for reuse (fd -1: none) */
  remote_req const *req ;              /* the request being served */
  remote_msg const *msg ;
  int longlines_logged ;               /* event=long_lines_broken said for this request */
  remote_route route ;
  remote_result result[REMOTEREQ_RCPTS] ;
} ;

/* Serves x->req with its message x->msg: fills x->result[0..n). Returns
 * 1, or 0 on a system error that should end the process (errno). */
extern int remote_deliver (remote_ctx *x) ;

/* Opens a session on a fresh connection to a: connect, greeting, EHLO
 * (HELO when refused), AUTH for a relay. Returns 1; 0 for a temporary
 * failure of this host, -1 for a permanent one, with *f filled. */
extern int remote_session (remote_ctx *x, remote_addr const *a, remote_fail *f) ;

/* One transaction on x->conn for the recipients idx[0..n) (n at most
 * REMOTE_TXN_RCPTS): every one of them gets a verdict (1), or the host
 * failed before that (0 temporary, -1 permanent; *f filled): then the
 * recipients it refused at RCPT keep that verdict, the others have none
 * and go to the next host. */
extern int remote_txn (remote_ctx *x, unsigned int const *idx, unsigned int n, remote_fail *f) ;

/* Verdicts and failures (remote_verdict.c). A reply becomes
 * "<enhanced code> <host>[<ip>] said: <reply on one line> (in reply to
 * <cmd> command)"; the code is the reply's own RFC 3463 code when it has
 * one of the right class, else X.0.0. */
extern void remote_verdict_reply (remote_ctx *x, remote_result *r, smtpc_reply const *rep, char const *cmd) ;
extern void remote_verdict_fail (remote_result *r, char v, remote_fail const *f) ;
extern void remote_fail_reply (remote_ctx *x, remote_fail *f, smtpc_reply const *rep, char const *cmd) ;
/* "<code> <host>[<ip>]:<port>: <what>[: <error>]" */
extern void remote_fail_local (remote_ctx *x, remote_fail *f, char const *code, char const *what, char const *error) ;
/* A plain text: "<code> <text>" */
extern void remote_fail_text (remote_fail *f, char const *code, char const *text) ;
/* An I/O error (errno) with the server, as a local failure "4.4.2 ...:
 * <what went wrong> <when>"; returns 0. */
extern int remote_fail_io (remote_ctx *x, remote_fail *f, char const *when) ;

/* *d = now + secs. */
extern void remote_deadline (tain *d, unsigned int secs) ;

#endif

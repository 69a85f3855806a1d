/* ISC license. */

#include <string.h>

#include "smtpc.h"
#include "remote_deliver.h"

 /* The texts queued keeps: the verdict (it starts with the RFC 3463
    code), the remote reply alone for the DSN's Diagnostic-Code, and the
    remote MTA's name for Remote-MTA (docs/internals.md, X fields of a
    reply). */

static void cat (char *out, size_t max, size_t *w, char const *s)
{
  while (*s && *w + 1 < max) out[(*w)++] = *s++ ;
  out[*w] = 0 ;
}

static void hostip (smtpc const *c, char *out, size_t max, size_t *w)
{
  cat(out, max, w, c->host) ;
  cat(out, max, w, "[") ;
  cat(out, max, w, c->ipfmt) ;
  cat(out, max, w, "]") ;
}

static void code_of (smtpc_reply const *rep, char *esc)
{
  if (smtpc_reply_esc(rep, esc)) return ;
  esc[0] = rep->code >= 500 ? '5' : rep->code >= 400 ? '4' : rep->code >= 200 && rep->code < 300 ? '2' : '4' ;
  memcpy(esc + 1, ".0.0", 5) ;
}

static void said (remote_ctx *x, smtpc_reply const *rep, char const *cmd, char *text, char *diag, char *mta, char *relay)
{
  smtpc_relay_fmt(&x->conn, relay, REMOTE_RELAY_MAX) ;
  char esc[16] ;
  size_t w = 0 ;
  code_of(rep, esc) ;
  smtpc_reply_oneline(rep, diag, REMOTE_TEXT_MAX + 1) ;
  cat(text, REMOTE_TEXT_MAX + 1, &w, esc) ;
  cat(text, REMOTE_TEXT_MAX + 1, &w, " ") ;
  hostip(&x->conn, text, REMOTE_TEXT_MAX + 1, &w) ;
  cat(text, REMOTE_TEXT_MAX + 1, &w, " said: ") ;
  cat(text, REMOTE_TEXT_MAX + 1, &w, diag) ;
  if (cmd)
  {
    cat(text, REMOTE_TEXT_MAX + 1, &w, " (in reply to ") ;
    cat(text, REMOTE_TEXT_MAX + 1, &w, cmd) ;
    cat(text, REMOTE_TEXT_MAX + 1, &w, " command)") ;
  }
  w = 0 ;
  cat(mta, DNS_NAME_MAX + 3, &w, x->conn.host) ;
   /* RFC 5321 3.8: after a 421 the server closes the connection */
  if (rep->code == 421) x->conn.broken = 1 ;
}

void remote_verdict_reply (remote_ctx *x, remote_result *r, smtpc_reply const *rep, char const *cmd)
{
  r->verdict = rep->code < 300 ? 'K' : rep->code >= 500 ? 'D' : 'Z' ;
  said(x, rep, cmd, r->text, r->diag, r->mta, r->relay) ;
}

void remote_fail_reply (remote_ctx *x, remote_fail *f, smtpc_reply const *rep, char const *cmd)
{
  said(x, rep, cmd, f->text, f->diag, f->mta, f->relay) ;
}

void remote_verdict_fail (remote_result *r, char v, remote_fail const *f)
{
  r->verdict = v ;
  memcpy(r->text, f->text, strlen(f->text) + 1) ;
  memcpy(r->diag, f->diag, strlen(f->diag) + 1) ;
  memcpy(r->mta, f->mta, strlen(f->mta) + 1) ;
  memcpy(r->relay, f->relay, strlen(f->relay) + 1) ;
}

void remote_fail_local (remote_ctx *x, remote_fail *f, char const *code, char const *what, char const *error)
{
  size_t w = 0 ;
  smtpc_relay_fmt(&x->conn, f->relay, sizeof(f->relay)) ;
  cat(f->text, sizeof(f->text), &w, code) ;
  cat(f->text, sizeof(f->text), &w, " ") ;
  cat(f->text, sizeof(f->text), &w, f->relay) ;
  cat(f->text, sizeof(f->text), &w, ": ") ;
  cat(f->text, sizeof(f->text), &w, what) ;
  if (error)
  {
    cat(f->text, sizeof(f->text), &w, ": ") ;
    cat(f->text, sizeof(f->text), &w, error) ;
  }
  f->diag[0] = 0 ;
  w = 0 ;
  cat(f->mta, sizeof(f->mta), &w, x->conn.host) ;
}

void remote_fail_text (remote_fail *f, char const *code, char const *text)
{
  size_t w = 0 ;
  cat(f->text, sizeof(f->text), &w, code) ;
  cat(f->text, sizeof(f->text), &w, " ") ;
  cat(f->text, sizeof(f->text), &w, text) ;
  f->diag[0] = 0 ;
  f->mta[0] = 0 ;
  f->relay[0] = 0 ;
}

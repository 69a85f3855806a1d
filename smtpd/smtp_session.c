/* ISC license. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unix-timed.h>

#include "common/banevent.h"
#include "common/lineio.h"
#include "common/log.h"
#include "smtp_cmd.h"
#include "smtp_out.h"
#include "smtp_session.h"

/* Zeroes the session but for its three I/O buffers (the reply buffer,
 * the injection buffer and the input buffer: 144 KiB of the 146), which
 * are written before they are read. Clearing them would touch every page
 * of them for nothing: a fresh process's pages are zero already, and a
 * page fault per 4 KiB is most of what setting up a session costs. */
static void zero_but_buffers (smtp_session *s)
{
  static size_t const bufoff[3] =
  {
    offsetof(smtp_session, out) + offsetof(smtp_out, buf),
    offsetof(smtp_session, msg) + offsetof(smtp_message, q) + offsetof(qinject, buf),
    offsetof(smtp_session, inbuf)
  } ;
  static size_t const buflen[3] = { SMTP_OUT_BUFSIZE, QINJECT_BUFSIZE, SMTP_INBUF_SIZE } ;
  char *p = (char *)s ;
  size_t at = 0 ;
  _Static_assert(offsetof(smtp_session, out) < offsetof(smtp_session, msg) && offsetof(smtp_session, msg) < offsetof(smtp_session, inbuf), "the buffers in the order zero_but_buffers skips them") ;
  for (unsigned int i = 0 ; i < 3 ; i++)
  {
    memset(p + at, 0, bufoff[i] - at) ;
    at = bufoff[i] + buflen[i] ;
  }
  memset(p + at, 0, sizeof(*s) - at) ;
}

void smtp_session_init (smtp_session *s, smtp_engine const *e, int infd, int outfd, char const *ip, char const *port, char const *rdns)
{
  zero_but_buffers(s) ;
  s->engine = e ;
  buffer_init(&s->in, &buffer_read, infd, s->inbuf, SMTP_INBUF_SIZE) ;
  smtp_out_init(&s->out, outfd, &s->deadline) ;
  s->ip = ip ;
  s->port = port ;
  s->rdns = rdns ;
  s->rcpts = stralloc_zero ;
  s->prepend = stralloc_zero ;
  s->xfields = stralloc_zero ;
  s->msg.q.fd = -1 ;
  tain_now_g() ;
  tain_addsec_g(&s->sessiondeadline, (int)e->timeouts.session) ;
  smtp_deadline(s, e->timeouts.command) ;
}

void smtp_deadline (smtp_session *s, unsigned int secs)
{
  tain_now_g() ;
  tain_addsec_g(&s->deadline, (int)secs) ;
  if (tain_less(&s->sessiondeadline, &s->deadline)) s->deadline = s->sessiondeadline ;
}

char const *smtp_protocol (smtp_session const *s)
{
  /* RFC 3848 2 and RFC 6531 3.7.3: the base name, then S for TLS, then A
   * for an authenticated client. SMTPUTF8 exists only after EHLO. */
  static char const *const names[3][4] =
  {
    { "SMTP", "SMTPS", "SMTPA", "SMTPSA" },
    { "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" },
    { "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" }
  } ;
  unsigned int base = s->inmail && s->mailparams.smtputf8 ? 2 : s->hello == SMTP_HELLO_EHLO ;
  return names[base][!!s->tls + 2 * !!s->authuser] ;
}

/* The transaction opened by MAIL is over: the hooks may give back what
 * they kept for it (submitd's rate limit reservation). */
static void txend (smtp_session *s)
{
  smtp_hooks const *h = s->engine->hooks ;
  int committed = s->committed ;
  int inmail = s->inmail ;
  s->inmail = 0 ;
  s->committed = 0 ;
  if (inmail && h && h->txend) (*h->txend)(s, committed) ;
}

void smtp_reset (smtp_session *s)
{
  smtp_message_abort(s) ;
  txend(s) ;
  s->inmail = 0 ;
  s->sender[0] = 0 ;
  memset(&s->mailparams, 0, sizeof(s->mailparams)) ;
  s->rcpts.len = 0 ;
  s->nrcpt = 0 ;
  s->id[0] = 0 ;
  s->prepend.len = 0 ;
  s->xfields.len = 0 ;
  s->discard = 0 ;
  s->bdat = SMTP_BDAT_NONE ;
}

void smtp_end (smtp_session *s, char const *reason, int code)
{
  logline l ;
  txend(s) ;
  log_begin(&l, "disconnect") ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "reason", reason) ;
  log_kvu(&l, "messages", s->messages) ;
  log_kvu(&l, "refused", s->refused) ;
  log_kvu(&l, "errors", s->errors) ;
  log_kvu(&l, "commands", s->commands) ;
  log_commit(&l) ;
  _exit(code) ;
}

void smtp_fail (smtp_session *s, char const *what)
{
  int e = errno ;
  if (e == ETIMEDOUT) smtp_end(s, "timeout", 99) ;
  if (e != EPIPE && e != ECONNRESET)
  {
    logline l ;
    log_begin(&l, "error") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "op", what) ;
    log_kv(&l, "errno", strerror(e)) ;
    log_commit(&l) ;
  }
  /* a client that resets the connection has closed it, not failed us */
  if (e == EPIPE || e == ECONNRESET) smtp_end(s, "lost", 0) ;
  smtp_end(s, "error", 111) ;
}

void smtp_flush (smtp_session *s)
{
  if (!smtp_out_flush(&s->out)) smtp_fail(s, "write") ;
}

/* A last reply, "421 <enh> <host> <text>" (RFC 5321 3.8), then the end. */
void smtp_closing (smtp_session *s, unsigned int code, char const *enh, char const *text, char const *reason, int exitcode)
{
  char line[SMTP_REPLY_LINE_MAX] ;
  size_t h = strlen(s->engine->hostname) ;
  size_t t = strlen(text) ;
  if (h > 255) h = 255 ;
  if (t > sizeof(line) - h - 2) t = sizeof(line) - h - 2 ;
  memcpy(line, s->engine->hostname, h) ;
  line[h] = ' ' ;
  memcpy(line + h + 1, text, t) ;
  /* A short deadline of its own: the client may be the reason we close. */
  tain_now_g() ;
  tain_addsec_g(&s->deadline, 10) ;
  if (smtp_out_line(&s->out, code, enh, 0, line, h + 1 + t)) smtp_out_flush(&s->out) ;
  smtp_end(s, reason, exitcode) ;
}

/* The client went away: it may still read the replies it has earned. */
void smtp_client_eof (smtp_session *s, char const *reason)
{
  tain_now_g() ;
  tain_addsec_g(&s->deadline, 10) ;
  smtp_out_flush(&s->out) ;
  smtp_end(s, reason, 0) ;
}

void smtp_timeout (smtp_session *s)
{
  logline l ;
  log_begin(&l, "timeout") ;
  log_kv(&l, "ip", s->ip) ;
  log_commit(&l) ;
  smtp_closing(s, 421, "4.4.2", "timeout, closing connection", "timeout", 99) ;
}

void smtp_reply (smtp_session *s, unsigned int code, char const *enh, char const *text)
{
  if (!smtp_out_reply(&s->out, code, enh, text)) smtp_fail(s, "write") ;
  if (code >= 400 && ++s->errors >= s->engine->maxerrors)
  {
    log_event1("too_many_errors", "ip", s->ip) ;
    if (s->ip) banevent_send("bad_command", s->ip, s->engine->hooks ? "submission" : "smtp", 0) ;
    smtp_closing(s, 421, "4.7.0", "too many errors", "too_many_errors", 1) ;
  }
}

void smtp_refuse (smtp_session *s, smtp_verdict const *v, char const *cmd, char const *key, char const *value)
{
  if (v->reason)
  {
    logline l ;
    char code[4] = { '0' + (v->code / 100) % 10, '0' + (v->code / 10) % 10, '0' + v->code % 10, 0 } ;
    log_begin(&l, "reject") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "cmd", cmd) ;
    log_kv(&l, "code", code) ;
    log_kv(&l, "reason", v->reason) ;
    if (key) log_kv(&l, key, value) ;
    log_commit(&l) ;
  }
  smtp_reply(s, v->code, v->enh, v->text) ;
}

void smtp_refuse4 (smtp_session *s, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason)
{
  smtp_verdict v = { .code = code, .enh = enh, .text = text, .reason = reason } ;
  smtp_refuse(s, &v, cmd, 0, 0) ;
}

static void refuse (smtp_session *s, smtp_cmd const *c, unsigned int code, char const *enh, char const *text, char const *reason)
{
  smtp_refuse4(s, smtp_verb_name(c->verb), code, enh, text, reason) ;
}

void smtp_fill (smtp_session *s, char const *eofreason)
{
  ssize_t r ;
  smtp_deadline(s, s->engine->timeouts.datablock) ;
  r = buffer_timed_fill(&s->in, &s->deadline, &STAMP) ;
  if (r > 0) return ;
  smtp_message_abort(s) ;
  if (!r) smtp_end(s, eofreason, 0) ;
  if (errno == ETIMEDOUT) smtp_timeout(s) ;
  smtp_fail(s, "read") ;
}

/* RFC 5321 4.1.1.1: the argument is a domain or an address literal. We
 * check only that it is one printable word that cannot break out of the
 * Received header's syntax; checking that it resolves proves nothing. */
static int valid_helo (char const *s, size_t len)
{
  if (!len || len > 255) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c <= 32 || c >= 127 || c == '(' || c == ')' || c == '<' || c == '>' || c == ';' || c == '\\' || c == '"') return 0 ;
  }
  return 1 ;
}

static int hello (smtp_session *s, smtp_cmd const *c)
{
  if (!valid_helo(c->arg, c->arglen))
  {
    refuse(s, c, 501, "5.5.4", c->arglen ? "invalid domain name" : c->verb == SMTP_VERB_HELO ? "syntax: HELO hostname" : "syntax: EHLO hostname", "bad_helo") ;
    return 0 ;
  }
  memcpy(s->helo, c->arg, c->arglen) ;
  s->helo[c->arglen] = 0 ;
  smtp_reset(s) ;  /* RFC 5321 4.1.4 */
  return 1 ;
}

static void do_helo (smtp_session *s, smtp_cmd const *c)
{
  if (!hello(s, c)) return ;
  s->hello = SMTP_HELLO_HELO ;
  /* RFC 2034 section 4: no enhanced code on HELO/EHLO replies */
  smtp_reply(s, 250, 0, s->engine->hostname) ;
}

static void ehlo_line (smtp_session *s, char const *keyword, int more)
{
  if (!smtp_out_line(&s->out, 250, 0, more, keyword, strlen(keyword))) smtp_fail(s, "write") ;
}

static void do_ehlo (smtp_session *s, smtp_cmd const *c)
{
  char sizeline[32] = "SIZE " ;
  char const *const *x ;
  if (!hello(s, c)) return ;
  s->hello = SMTP_HELLO_EHLO ;
  /* RFC 1870: "SIZE 0" means no fixed limit */
  sizeline[5 + uint64_fmt(sizeline + 5, s->engine->maxsize)] = 0 ;
  ehlo_line(s, s->engine->hostname, 1) ;
  ehlo_line(s, "PIPELINING", 1) ;          /* RFC 2920 */
  ehlo_line(s, sizeline, 1) ;              /* RFC 1870 */
  ehlo_line(s, "8BITMIME", 1) ;            /* RFC 6152 */
  ehlo_line(s, "SMTPUTF8", 1) ;            /* RFC 6531 */
  ehlo_line(s, "CHUNKING", 1) ;            /* RFC 3030 */
  ehlo_line(s, "DSN", 1) ;                 /* RFC 3461 */
  /* RFC 3207: only when tlsd can do it, and not twice */
  if (smtp_tls_offer(s)) ehlo_line(s, "STARTTLS", 1) ;
  /* RFC 8689 4: REQUIRETLS is offered only on a TLS session */
  if (s->tls) ehlo_line(s, "REQUIRETLS", 1) ;
  for (x = s->engine->ehlo_extra ; x && *x ; x++) ehlo_line(s, *x, 1) ;
  if (s->engine->hooks && s->engine->hooks->ehlo)
    for (x = (*s->engine->hooks->ehlo)(s) ; x && *x ; x++) ehlo_line(s, *x, 1) ;
  ehlo_line(s, "ENHANCEDSTATUSCODES", 0) ;  /* RFC 2034 */
  /* RFC 2920 3.2: EHLO's reply is not held back */
  smtp_flush(s) ;
}

static void do_rset (smtp_session *s, smtp_cmd const *c)
{
  if (c->arglen) { refuse(s, c, 501, "5.5.4", "syntax: RSET", "syntax") ; return ; }
  smtp_reset(s) ;
  smtp_reply(s, 250, "2.0.0", "Ok") ;
}

static void do_noop (smtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  smtp_reply(s, 250, "2.0.0", "Ok") ;
}

static void do_quit (smtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  if (!smtp_out_reply(&s->out, 221, "2.0.0", "Bye")) smtp_fail(s, "write") ;
  smtp_flush(s) ;
  smtp_end(s, "quit", 0) ;
}

static void do_vrfy (smtp_session *s, smtp_cmd const *c)
{
  if (!c->arglen) { refuse(s, c, 501, "5.5.4", "syntax: VRFY address", "syntax") ; return ; }
  /* RFC 5321 3.5.3: 252 when we will not say; never a user list.
   * RFC 3463: X.5.2 would mean a syntax error; 2.0.0 is "other", as
   * Postfix answers. */
  smtp_reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery") ;
}

static void do_expn (smtp_session *s, smtp_cmd const *c)
{
  refuse(s, c, 502, "5.5.1", "EXPN not available", "expn") ;
}

static void do_help (smtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  smtp_reply(s, 214, "2.0.0", "Commands: EHLO HELO STARTTLS MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP; see RFC 5321") ;
}

static void do_unimplemented (smtp_session *s, smtp_cmd const *c)
{
  refuse(s, c, 502, "5.5.1", "command not implemented", "not_implemented") ;
}

/* RFC 4954: only an engine with an AUTH hook (submitd) speaks it; the
 * MX port never authenticates anyone. */
static void do_auth (smtp_session *s, smtp_cmd const *c)
{
  if (s->engine->hooks && s->engine->hooks->auth) (*s->engine->hooks->auth)(s, c) ;
  else do_unimplemented(s, c) ;
}

static void do_http (smtp_session *s, smtp_cmd const *c)
{
  /* A web client, or a browser tricked into posting to port 25: say
   * nothing more to it and do not read what follows. */
  smtp_verdict v = { .code = 421, .enh = "4.7.0", .text = "this is not an HTTP server", .reason = "http_command" } ;
  (void)c ;
  {
    logline l ;
    log_begin(&l, "reject") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "cmd", "HTTP") ;
    log_kv(&l, "code", "421") ;
    log_kv(&l, "reason", v.reason) ;
    log_commit(&l) ;
  }
  smtp_closing(s, v.code, v.enh, v.text, "http_command", 1) ;
}

static void do_unknown (smtp_session *s, smtp_cmd const *c)
{
  refuse(s, c, 500, "5.5.2", "command unrecognized", "unknown_command") ;
}

/* The command table: one handler per verb. Greeting is required only
 * by the handlers that open a transaction (MAIL, see smtp_envelope.c). */
static smtp_handler_func *const handlers[SMTP_VERB_N] =
{
  [SMTP_VERB_UNKNOWN] = &do_unknown,
  [SMTP_VERB_HELO] = &do_helo,
  [SMTP_VERB_EHLO] = &do_ehlo,
  [SMTP_VERB_MAIL] = &smtp_do_mail,
  [SMTP_VERB_RCPT] = &smtp_do_rcpt,
  [SMTP_VERB_DATA] = &smtp_do_data,
  [SMTP_VERB_RSET] = &do_rset,
  [SMTP_VERB_NOOP] = &do_noop,
  [SMTP_VERB_QUIT] = &do_quit,
  [SMTP_VERB_VRFY] = &do_vrfy,
  [SMTP_VERB_EXPN] = &do_expn,
  [SMTP_VERB_HELP] = &do_help,
  [SMTP_VERB_STARTTLS] = &smtp_do_starttls,
  [SMTP_VERB_AUTH] = &do_auth,
  [SMTP_VERB_BDAT] = &smtp_do_bdat,
  [SMTP_VERB_ETRN] = &do_unimplemented,
  [SMTP_VERB_TURN] = &do_unimplemented,
  [SMTP_VERB_HTTP] = &do_http,
} ;

/* One bad command line: it is answered and counted, never executed. */
static void bad_line (smtp_session *s, char const *text, char const *what)
{
  logline l ;
  log_begin(&l, "bad_line") ;
  log_kv(&l, "ip", s->ip) ;
  log_kv(&l, "what", what) ;
  log_commit(&l) ;
  smtp_reply(s, 500, "5.5.2", text) ;
}

int smtp_session_run (smtp_session *s)
{
  char line[SMTP_LINE_MAX + 1] ;
  size_t linemax = s->engine->linemax < SMTP_LINE_MAX ? s->engine->linemax : SMTP_LINE_MAX ;
  {
    logline l ;
    log_begin(&l, "connect") ;
    log_kv(&l, "ip", s->ip) ;
    log_kv(&l, "port", s->port) ;
    if (s->rdns) log_kv(&l, "host", s->rdns) ;
    if (s->relayclient) log_kv(&l, "relay", "yes") ;
    log_commit(&l) ;
  }
  {
    char greeting[300] ;
    size_t n = strlen(s->engine->hostname) ;
    if (n > sizeof(greeting) - 20) n = sizeof(greeting) - 20 ;
    memcpy(greeting, s->engine->hostname, n) ;
    memcpy(greeting + n, " ESMTP posthaste", 17) ;
    smtp_reply(s, 220, 0, greeting) ;
  }
  for (;;)
  {
    smtp_cmd c ;
    size_t len = 0 ;
    unsigned int flags = 0 ;
    int r ;
    /* RFC 2920 3.2: hold replies while pipelined commands are waiting,
     * write them all before waiting for more. The flush runs under the
     * deadline of the command that made the replies. */
    if (!lineio_pending(&s->in)) smtp_flush(s) ;
    smtp_deadline(s, s->engine->timeouts.command) ;
    r = lineio_get(&s->in, line, linemax + 1, &len, &flags, &s->deadline) ;
    if (!r) smtp_client_eof(s, "eof") ;
    if (r < 0)
    {
      if (errno == ETIMEDOUT) smtp_timeout(s) ;
      else if (errno == ERANGE) { bad_line(s, "line too long", "too_long") ; continue ; }
      else if (errno == EPIPE) smtp_client_eof(s, "eof") ;
      else smtp_fail(s, "read") ;
    }
    s->commands++ ;
    /* RFC 5321 2.3.8: lines end in CRLF; a bare CR or LF, or a NUL, is
     * refused, and such a line is never executed. */
    if (!(flags & LINEIO_CRLF)) { bad_line(s, "line must end with CRLF", "bare_lf") ; continue ; }
    if (flags & LINEIO_BARECR) { bad_line(s, "bare CR not allowed", "bare_cr") ; continue ; }
    if (flags & LINEIO_NUL) { bad_line(s, "NUL not allowed", "nul") ; continue ; }
    if (!smtp_cmd_split(line, len, &c)) { refuse(s, &c, 500, "5.5.2", "empty command", "empty_command") ; continue ; }
    (*handlers[c.verb < SMTP_VERB_N ? c.verb : SMTP_VERB_UNKNOWN])(s, &c) ;
  }
}

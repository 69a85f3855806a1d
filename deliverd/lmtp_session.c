/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unix-timed.h>

#include "common/lineio.h"
#include "common/log.h"
#include "smtpd/smtp_ascii.h"
#include "smtpd/smtp_cmd.h"
#include "smtpd/smtp_out.h"
#include "lmtp.h"

/* The command loop, the commands without a transaction of their own
 * (LHLO, RSET, NOOP, QUIT, VRFY, HELP), error counting and the ways a
 * session ends. */

void lmtp_session_init (lmtp_session *s, lmtp_conf const *conf, deliverctx *dctx, int infd, int outfd)
{
  memset(s, 0, sizeof(*s)) ;
  s->conf = conf ;
  s->dctx = dctx ;
  buffer_init(&s->in, &buffer_read, infd, s->inbuf, LMTP_INBUF_SIZE) ;
  smtp_out_init(&s->out, outfd, &s->deadline) ;
  s->rcptlist = genalloc_zero ;
  s->rcpts = stralloc_zero ;
  s->dests = genalloc_zero ;
  s->storage = stralloc_zero ;
  tain_now_g() ;
  tain_addsec_g(&s->sessiondeadline, (int)conf->tsession) ;
  lmtp_deadline(s, conf->tcommand) ;
}

void lmtp_deadline (lmtp_session *s, unsigned int secs)
{
  tain_now_g() ;
  tain_addsec_g(&s->deadline, (int)secs) ;
  if (tain_less(&s->sessiondeadline, &s->deadline)) s->deadline = s->sessiondeadline ;
}

void lmtp_reset (lmtp_session *s)
{
  s->inmail = 0 ;
  s->sender[0] = 0 ;
  s->smtputf8 = 0 ;
  genalloc_setlen(lmtp_rcpt, &s->rcptlist, 0) ;
  s->rcpts.len = 0 ;
  s->id[0] = 0 ;
}

void lmtp_end (lmtp_session *s, char const *reason, int code)
{
  logline l ;
  log_begin(&l, "disconnect") ;
  log_kv(&l, "peer", s->peer) ;
  log_kv(&l, "reason", reason) ;
  log_kvu(&l, "messages", s->messages) ;
  log_kvu(&l, "errors", s->errors) ;
  log_kvu(&l, "commands", s->commands) ;
  log_commit(&l) ;
  _exit(code) ;
}

void lmtp_fail (lmtp_session *s, char const *what)
{
  int e = errno ;
  if (e == ETIMEDOUT) lmtp_end(s, "timeout", 99) ;
  /* a client that resets the connection has closed it, not failed us */
  if (e == EPIPE || e == ECONNRESET) lmtp_end(s, "lost", 0) ;
  {
    logline l ;
    log_begin(&l, "error") ;
    log_kv(&l, "peer", s->peer) ;
    log_kv(&l, "op", what) ;
    log_kv(&l, "errno", strerror(e)) ;
    log_commit(&l) ;
  }
  lmtp_end(s, "error", 111) ;
}

void lmtp_flush (lmtp_session *s)
{
  if (!smtp_out_flush(&s->out)) lmtp_fail(s, "write") ;
}

/* A last reply, "421 <enh> <host> <text>" (RFC 5321 3.8), then the end. */
void lmtp_closing (lmtp_session *s, unsigned int code, char const *enh, char const *text, char const *reason, int exitcode)
{
  char line[SMTP_REPLY_LINE_MAX] ;
  size_t h = strlen(s->conf->hostname) ;
  size_t t = strlen(text) ;
  if (h > 255) h = 255 ;
  if (t > sizeof(line) - h - 2) t = sizeof(line) - h - 2 ;
  memcpy(line, s->conf->hostname, h) ;
  line[h] = ' ' ;
  memcpy(line + h + 1, text, t) ;
  /* a short deadline of its own: the client may be the reason we close */
  tain_now_g() ;
  tain_addsec_g(&s->deadline, 10) ;
  if (smtp_out_line(&s->out, code, enh, 0, line, h + 1 + t)) smtp_out_flush(&s->out) ;
  lmtp_end(s, reason, exitcode) ;
}

void lmtp_timeout (lmtp_session *s)
{
  log_event1("timeout", "peer", s->peer) ;
  lmtp_closing(s, 421, "4.4.2", "timeout, closing connection", "timeout", 99) ;
}

/* The client went away: it may still read the replies it has earned. */
static void client_eof (lmtp_session *s, char const *reason)
{
  tain_now_g() ;
  tain_addsec_g(&s->deadline, 10) ;
  smtp_out_flush(&s->out) ;
  lmtp_end(s, reason, 0) ;
}

void lmtp_fill (lmtp_session *s)
{
  ssize_t r ;
  lmtp_deadline(s, s->conf->tdatablock) ;
  r = buffer_timed_fill(&s->in, &s->deadline, &STAMP) ;
  if (r > 0) return ;
  if (!r) lmtp_end(s, "eof_in_data", 0) ;
  if (errno == ETIMEDOUT) lmtp_timeout(s) ;
  lmtp_fail(s, "read") ;
}

void lmtp_reply (lmtp_session *s, unsigned int code, char const *enh, char const *text)
{
  if (!smtp_out_reply(&s->out, code, enh, text)) lmtp_fail(s, "write") ;
  /* Only protocol errors count: the client is an MTA handing over mail,
   * and a batch of unknown recipients is no attack on us. */
  if (code >= 500 && enh && !strncmp(enh, "5.5.", 4) && ++s->errors >= s->conf->maxerrors)
  {
    log_event1("too_many_errors", "peer", s->peer) ;
    lmtp_closing(s, 421, "4.7.0", "too many errors", "too_many_errors", 1) ;
  }
}

void lmtp_refuse (lmtp_session *s, char const *cmd, unsigned int code, char const *enh, char const *text, char const *reason, char const *rcpt)
{
  logline l ;
  char c[4] = { '0' + (code / 100) % 10, '0' + (code / 10) % 10, '0' + code % 10, 0 } ;
  log_begin(&l, "reject") ;
  log_kv(&l, "peer", s->peer) ;
  log_kv(&l, "cmd", cmd) ;
  log_kv(&l, "code", c) ;
  log_kv(&l, "reason", reason) ;
  if (rcpt) log_kv(&l, "rcpt", rcpt) ;
  log_commit(&l) ;
  lmtp_reply(s, code, enh, text) ;
}

/* RFC 5321 4.1.1.1: a domain or an address literal. As smtpd: one
 * printable word that cannot break out of the Received header. */
static int valid_helo (char const *s, size_t len)
{
  if (!len || len > LMTP_HELO_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = (unsigned char)s[i] ;
    if (c <= 32 || c >= 127 || c == '(' || c == ')' || c == '<' || c == '>' || c == ';' || c == '\\' || c == '"') return 0 ;
  }
  return 1 ;
}

static void keyword (lmtp_session *s, char const *k, int more)
{
  if (!smtp_out_line(&s->out, 250, 0, more, k, strlen(k))) lmtp_fail(s, "write") ;
}

static void do_lhlo (lmtp_session *s, smtp_cmd const *c)
{
  char sizeline[32] = "SIZE " ;
  if (!valid_helo(c->arg, c->arglen))
  {
    lmtp_refuse(s, "LHLO", 501, "5.5.4", c->arglen ? "invalid domain name" : "syntax: LHLO hostname", "bad_lhlo", 0) ;
    return ;
  }
  memcpy(s->lhlo, c->arg, c->arglen) ;
  s->lhlo[c->arglen] = 0 ;
  lmtp_reset(s) ;  /* RFC 5321 4.1.4, as EHLO */
  s->greeted = 1 ;
  /* RFC 1870: "SIZE 0" means no fixed limit */
  sizeline[5 + uint64_fmt(sizeline + 5, s->conf->maxsize)] = 0 ;
  keyword(s, s->conf->hostname, 1) ;
  keyword(s, "PIPELINING", 1) ;        /* RFC 2920; RFC 2033 4.2 relies on it */
  keyword(s, sizeline, 1) ;            /* RFC 1870 */
  keyword(s, "8BITMIME", 1) ;          /* RFC 6152 */
  keyword(s, "SMTPUTF8", 1) ;          /* RFC 6531: deliverd takes UTF-8 mailboxes */
  keyword(s, "ENHANCEDSTATUSCODES", 0) ;  /* RFC 2034 */
  lmtp_flush(s) ;
}

static void do_hello_refused (lmtp_session *s, smtp_cmd const *c)
{
  /* RFC 2033 4.1: the LMTP server must not answer HELO or EHLO with
   * 250, so that an SMTP client that reached it by mistake stops. */
  lmtp_refuse(s, smtp_verb_name(c->verb), 500, "5.5.1", "this is an LMTP server: use LHLO", "smtp_hello", 0) ;
}

static void do_rset (lmtp_session *s, smtp_cmd const *c)
{
  if (c->arglen) { lmtp_refuse(s, "RSET", 501, "5.5.4", "syntax: RSET", "syntax", 0) ; return ; }
  lmtp_reset(s) ;
  lmtp_reply(s, 250, "2.0.0", "Ok") ;
}

static void do_noop (lmtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  lmtp_reply(s, 250, "2.0.0", "Ok") ;
}

static void do_quit (lmtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  if (!smtp_out_reply(&s->out, 221, "2.0.0", "Bye")) lmtp_fail(s, "write") ;
  lmtp_flush(s) ;
  lmtp_end(s, "quit", 0) ;
}

static void do_vrfy (lmtp_session *s, smtp_cmd const *c)
{
  if (!c->arglen) { lmtp_refuse(s, "VRFY", 501, "5.5.4", "syntax: VRFY address", "syntax", 0) ; return ; }
  /* RFC 5321 3.5.3: 252 when we will not say */
  lmtp_reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery") ;
}

static void do_help (lmtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  lmtp_reply(s, 214, "2.0.0", "Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP; see RFC 2033") ;
}

static void do_unimplemented (lmtp_session *s, smtp_cmd const *c)
{
  lmtp_refuse(s, smtp_verb_name(c->verb), 502, "5.5.1", "command not implemented", "not_implemented", 0) ;
}

static void do_unknown (lmtp_session *s, smtp_cmd const *c)
{
  (void)c ;
  lmtp_refuse(s, "UNKNOWN", 500, "5.5.2", "command unrecognized", "unknown_command", 0) ;
}

/* smtpd's verb table knows no LHLO: the word is recognised here, from
 * the line itself, so that smtpd's parser stays as it is. */
static int is_lhlo (char const *line, size_t len)
{
  size_t i = 0 ;
  size_t n = 0 ;
  while (i < len && line[i] == ' ') i++ ;
  while (i + n < len && line[i + n] != ' ') n++ ;
  return ascii_caseeq(line + i, n, "lhlo") ;
}

static void dispatch (lmtp_session *s, smtp_cmd const *c)
{
  switch (c->verb)
  {
    case SMTP_VERB_HELO :
    case SMTP_VERB_EHLO : do_hello_refused(s, c) ; break ;
    case SMTP_VERB_MAIL : lmtp_do_mail(s, c) ; break ;
    case SMTP_VERB_RCPT : lmtp_do_rcpt(s, c) ; break ;
    case SMTP_VERB_DATA : lmtp_do_data(s, c) ; break ;
    case SMTP_VERB_RSET : do_rset(s, c) ; break ;
    case SMTP_VERB_NOOP : do_noop(s, c) ; break ;
    case SMTP_VERB_QUIT : do_quit(s, c) ; break ;
    case SMTP_VERB_VRFY : do_vrfy(s, c) ; break ;
    case SMTP_VERB_HELP : do_help(s, c) ; break ;
    case SMTP_VERB_EXPN :
    case SMTP_VERB_STARTTLS :
    case SMTP_VERB_AUTH :
    case SMTP_VERB_BDAT :
    case SMTP_VERB_ETRN :
    case SMTP_VERB_TURN : do_unimplemented(s, c) ; break ;
    case SMTP_VERB_HTTP :
      /* a web client, or a browser tricked into posting here */
      log_event3("reject", "peer", s->peer, "cmd", "HTTP", "reason", "http_command") ;
      lmtp_closing(s, 421, "4.7.0", "this is not an HTTP server", "http_command", 1) ;
    default : do_unknown(s, c) ; break ;
  }
}

static void bad_line (lmtp_session *s, char const *text, char const *what)
{
  log_event2("bad_line", "peer", s->peer, "what", what) ;
  lmtp_reply(s, 500, "5.5.2", text) ;
}

void lmtp_session_run (lmtp_session *s)
{
  char line[LMTP_LINE_MAX + 1] ;
  log_event1("connect", "peer", s->peer) ;
  {
    /* RFC 2033 4.1 keeps the SMTP greeting; the word says which protocol */
    char greeting[300] ;
    size_t n = strlen(s->conf->hostname) ;
    if (n > sizeof(greeting) - 20) n = sizeof(greeting) - 20 ;
    memcpy(greeting, s->conf->hostname, n) ;
    memcpy(greeting + n, " LMTP posthaste", 16) ;
    lmtp_reply(s, 220, 0, greeting) ;
  }
  for (;;)
  {
    smtp_cmd c ;
    size_t len = 0 ;
    unsigned int flags = 0 ;
    int r ;
    /* RFC 2920 3.2: hold replies while pipelined commands wait, write
     * them all before waiting for more */
    if (!lineio_pending(&s->in)) lmtp_flush(s) ;
    lmtp_deadline(s, s->conf->tcommand) ;
    r = lineio_get(&s->in, line, sizeof(line), &len, &flags, &s->deadline) ;
    if (!r) client_eof(s, "eof") ;
    if (r < 0)
    {
      if (errno == ETIMEDOUT) lmtp_timeout(s) ;
      else if (errno == ERANGE) { s->commands++ ; bad_line(s, "line too long", "too_long") ; continue ; }
      else if (errno == EPIPE) client_eof(s, "eof") ;
      else lmtp_fail(s, "read") ;
    }
    s->commands++ ;
    /* RFC 5321 2.3.8: lines end in CRLF; a bare CR or LF, or a NUL,
     * is refused and the line never executed */
    if (!(flags & LINEIO_CRLF)) { bad_line(s, "line must end with CRLF", "bare_lf") ; continue ; }
    if (flags & LINEIO_BARECR) { bad_line(s, "bare CR not allowed", "bare_cr") ; continue ; }
    if (flags & LINEIO_NUL) { bad_line(s, "NUL not allowed", "nul") ; continue ; }
    if (!smtp_cmd_split(line, len, &c)) { lmtp_refuse(s, "UNKNOWN", 500, "5.5.2", "empty command", "empty_command", 0) ; continue ; }
    if (c.verb == SMTP_VERB_UNKNOWN && is_lhlo(line, len)) do_lhlo(s, &c) ;
    else dispatch(s, &c) ;
  }
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/log.h"
#include "common/qinject.h"
#include "smtp_data.h"
#include "smtp_received.h"
#include "smtp_session.h"

/* One message on its way to queued, for DATA and BDAT alike: the
 * envelope and our headers go first and are flushed before the client
 * is told to send (so queued can refuse early, and sees progress from
 * the start), every block of message is flushed as it comes, and 250 is
 * said only after queued has committed the message (its K answer). */

static void inject_failed (smtp_message *m)
{
  char a = qinject_early(&m->q, m->reply, sizeof(m->reply)) ;
  if (a) m->answer = a ;
  else m->localerr = 1 ;
  m->injecting = 0 ;
  qinject_close(&m->q) ;
}

static int send_field (qinject *q, char tag, char const *s, tain const *deadline)
{
  return qinject_field(q, tag, s, strlen(s), deadline) ;
}

/* docs/internals.md, Injection: F, M (MAIL parameters as received, in
 * canonical case), T each followed by its N, H, C, P, X. */
static int send_envelope (smtp_session *s, qinject *q)
{
  smtp_mailparams const *mp = &s->mailparams ;
  size_t i = 0 ;
  if (!send_field(q, 'F', s->sender, &s->deadline)) return 0 ;
  if (mp->body == SMTP_BODY_8BITMIME && !send_field(q, 'M', "BODY=8BITMIME", &s->deadline)) return 0 ;
  if (mp->body == SMTP_BODY_7BIT && !send_field(q, 'M', "BODY=7BIT", &s->deadline)) return 0 ;
  if (mp->smtputf8 && !send_field(q, 'M', "SMTPUTF8", &s->deadline)) return 0 ;
  if (mp->ret == SMTP_RET_FULL && !send_field(q, 'M', "RET=FULL", &s->deadline)) return 0 ;
  if (mp->ret == SMTP_RET_HDRS && !send_field(q, 'M', "RET=HDRS", &s->deadline)) return 0 ;
  if (mp->hasenvid)
  {
    char v[7 + SMTP_ENVID_MAX + 1] = "ENVID=" ;
    size_t n = strlen(mp->envid) ;
    memcpy(v + 6, mp->envid, n + 1) ;
    if (!send_field(q, 'M', v, &s->deadline)) return 0 ;
  }
  if (mp->requiretls && !send_field(q, 'M', "REQUIRETLS", &s->deadline)) return 0 ;
  while (i < s->rcpts.len)
  {
    char const *rec = s->rcpts.s + i ;
    if (!send_field(q, rec[0], rec + 1, &s->deadline)) return 0 ;
    i += strlen(rec) + 1 ;
  }
  if (!send_field(q, 'H', s->helo, &s->deadline)) return 0 ;
  if (s->ip && !send_field(q, 'C', s->ip, &s->deadline)) return 0 ;
  if (s->authuser && !send_field(q, 'U', s->authuser, &s->deadline)) return 0 ;
  if (!send_field(q, 'P', smtp_protocol(s), &s->deadline)) return 0 ;
  for (i = 0 ; i < s->xfields.len ; i += strlen(s->xfields.s + i) + 1)
    if (!send_field(q, 'X', s->xfields.s + i, &s->deadline)) return 0 ;
  return 1 ;
}

/* The first recipient's address, for "for <...>" */
static char const *only_rcpt (smtp_session const *s)
{
  return s->nrcpt == 1 ? s->rcpts.s + 1 : 0 ;
}

/* The headers in front of the message: the policy service's PREPEND
 * lines first (Postfix puts them above its own Received), then ours. */
static int send_headers (smtp_session *s, smtp_message *m)
{
  stralloc hdr = STRALLOC_ZERO ;
  int ok ;
  smtp_received r =
  {
    .helo = s->helo,
    .rdns = s->rdns,
    .ip = s->ip,
    .host = s->engine->hostname,
    .proto = smtp_protocol(s),
    .id = s->id,
    .rcpt = only_rcpt(s),
    .tlsproto = s->tls ? s->tlsproto : 0,
    .tlscipher = s->tlscipher,
    .tlsbits = s->tlsbits,
    .tlsalgbits = s->tlsalgbits,
    .when = time(0)
  } ;
  if (!stralloc_catb(&hdr, s->prepend.s, s->prepend.len) || !smtp_received_build(&hdr, &r))
  {
    stralloc_free(&hdr) ;
    return 0 ;
  }
  ok = qinject_data(&m->q, hdr.s, hdr.len, &s->deadline) ;
  stralloc_free(&hdr) ;
  if (!ok) inject_failed(m) ;
  return ok ;
}

static int started (smtp_session *s)
{
  smtp_hooks const *h = s->engine->hooks ;
  if (h && h->msgstart) (*h->msgstart)(s) ;
  return 1 ;
}

int smtp_message_start (smtp_session *s)
{
  smtp_message *m = &s->msg ;
  m->injecting = 0 ;
  m->answer = 0 ;
  m->localerr = 0 ;
  m->starterrno = 0 ;
  m->reply[0] = 0 ;
  if (s->discard) return started(s) ;
  smtp_deadline(s, s->engine->timeouts.datainit) ;
  if (!qinject_connect(&m->q, s->engine->injectpath, &s->deadline))
  {
    m->starterrno = errno ;
    m->q.fd = -1 ;
    return 0 ;
  }
  if (!send_envelope(s, &m->q))
  {
    m->starterrno = errno ;
    inject_failed(m) ;
    return 0 ;
  }
  m->injecting = 1 ;
  if (!send_headers(s, m)) return 0 ;
  /* Ends the envelope, and makes queued see it now: a refusal of it
   * comes before the client sends its message. */
  if (!qinject_flush(&m->q, 1, &s->deadline))
  {
    inject_failed(m) ;
    return 0 ;
  }
  {
    char a = qinject_early(&m->q, m->reply, sizeof(m->reply)) ;
    if (a)
    {
      m->answer = a ;
      m->injecting = 0 ;
      qinject_close(&m->q) ;
      return 0 ;
    }
  }
  return started(s) ;
}

/* Relays queued's Z or D answer: "Z4.3.1 text" → 452 4.3.1 text. */

/* Is s an RFC 3463 code of class cls ("4.3.1")? Returns its length. */
static size_t enhanced_code (char const *s, char cls)
{
  size_t i = 0 ;
  if (s[i++] != cls || s[i++] != '.') return 0 ;
  for (unsigned int part = 0 ; part < 2 ; part++)
  {
    size_t start = i ;
    while (s[i] >= '0' && s[i] <= '9' && i - start < 3) i++ ;
    if (i == start) return 0 ;
    if (!part && s[i++] != '.') return 0 ;
  }
  return s[i] == ' ' || !s[i] ? i : 0 ;
}

static void relay_answer (smtp_session *s, smtp_message const *m, char const *cmd)
{
  char enh[16] = "4.3.0" ;
  char const *text = "temporary queue failure" ;
  unsigned int code = 451 ;
  char cls = m->answer == 'D' ? '5' : '4' ;
  size_t n = enhanced_code(m->reply + 1, cls) ;
  if (cls == '5') { code = 554 ; memcpy(enh, "5.3.0", 6) ; text = "message refused by the queue" ; }
  if (n && n < sizeof(enh))
  {
    memcpy(enh, m->reply + 1, n) ;
    enh[n] = 0 ;
    if (m->reply[1 + n] == ' ' && m->reply[2 + n]) text = m->reply + 2 + n ;
    if (cls == '4' && !strcmp(enh, "4.3.1")) code = 452 ;
  }
  {
    smtp_verdict v = { .code = code, .enh = enh, .text = text, .reason = m->answer == 'D' ? "queue_refused" : "queue_deferred" } ;
    smtp_refuse(s, &v, cmd, "smtpid", s->id) ;
  }
}

void smtp_message_refuse_start (smtp_session *s, char const *cmd)
{
  if (s->msg.answer) relay_answer(s, &s->msg, cmd) ;
  else
  {
    smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "queue unavailable, try again later", .reason = "queue_unavailable" } ;
    smtp_refuse(s, &v, cmd, "errno", strerror(s->msg.starterrno ? s->msg.starterrno : EPIPE)) ;
  }
}

void smtp_message_put (smtp_session *s, char const *p, size_t len)
{
  smtp_hooks const *h = s->engine->hooks ;
  if (h && h->msgput) (*h->msgput)(s, p, len) ;
  else smtp_message_write(s, p, len) ;
}

void smtp_message_write (smtp_session *s, char const *p, size_t len)
{
  smtp_message *m = &s->msg ;
  if (!m->injecting || !len) return ;
  /* The client gave us a block: queued gets it at once, so its idle
   * clock runs only while the client is idle too. */
  if (!qinject_data(&m->q, p, len, &s->deadline) || !qinject_flush(&m->q, 0, &s->deadline)) inject_failed(m) ;
}

void smtp_message_drop (smtp_session *s)
{
  smtp_message *m = &s->msg ;
  if (!m->injecting) return ;
  m->injecting = 0 ;
  qinject_close(&m->q) ;
}

void smtp_message_abort (smtp_session *s)
{
  smtp_message_drop(s) ;
  if (s->msg.q.fd >= 0) qinject_close(&s->msg.q) ;
}

static void accepted (smtp_session *s, char const *qid, uint64_t size)
{
  char text[80 + 32] = "Ok: queued as " ;
  size_t n = 14 ;
  size_t qlen = strlen(qid) ;
  logline l ;
  if (qlen > 64) qlen = 64 ;
  memcpy(text + n, qid, qlen) ;
  text[n + qlen] = 0 ;
  log_begin(&l, "accepted") ;
  log_kv(&l, "qid", qid) ;
  log_kv(&l, "smtpid", s->id) ;
  log_kv(&l, "from", s->sender) ;
  log_kvu(&l, "nrcpt", s->nrcpt) ;
  log_kvu(&l, "size", size) ;
  log_kv(&l, "ip", s->ip) ;
  if (s->authuser) log_kv(&l, "user", s->authuser) ;
  log_commit(&l) ;
  s->messages++ ;
  s->errors = 0 ;  /* the error limit counts errors since the last message */
  s->committed = 1 ;
  smtp_reply(s, 250, "2.0.0", text) ;
}

static void discarded (smtp_session *s, uint64_t size)
{
  logline l ;
  log_begin(&l, "discarded") ;
  log_kv(&l, "smtpid", s->id) ;
  log_kv(&l, "from", s->sender) ;
  log_kvu(&l, "nrcpt", s->nrcpt) ;
  log_kvu(&l, "size", size) ;
  log_kv(&l, "ip", s->ip) ;
  log_commit(&l) ;
  s->messages++ ;
  s->errors = 0 ;
  s->committed = 1 ;
  /* Postfix's DISCARD: the client is told the message was taken */
  smtp_reply(s, 250, "2.0.0", "Ok") ;
}

/* The message itself could not be taken: say why. */
static void refuse_content (smtp_session *s, unsigned int errors, char const *cmd)
{
  smtp_verdict v ;
  if (errors & (SMTP_DATA_BARECR | SMTP_DATA_BARELF))
    v = (smtp_verdict){ .code = 550, .enh = "5.6.11", .text = "bare CR or LF not allowed", .reason = "bare_cr_lf" } ;
  else if (errors & SMTP_DATA_NUL)
    v = (smtp_verdict){ .code = 550, .enh = "5.6.0", .text = "NUL bytes not allowed", .reason = "nul" } ;
  else if (errors & SMTP_DATA_LONGLINE)
    v = (smtp_verdict){ .code = 550, .enh = "5.6.0", .text = "message has a line too long", .reason = "long_line" } ;
  else
    v = (smtp_verdict){ .code = 552, .enh = "5.3.4", .text = "message size exceeds fixed maximum message size", .reason = "size" } ;
  smtp_refuse(s, &v, cmd, "smtpid", s->id) ;
}

void smtp_message_end (smtp_session *s, unsigned int errors, uint64_t size, char const *cmd)
{
  smtp_message *m = &s->msg ;
  smtp_hooks const *h = s->engine->hooks ;
  if (!errors && !m->answer && !m->localerr && h && h->msgend)
  {
    /* the content is whole: the hooks' last bytes, and their verdict
     * on it, before anything is committed */
    smtp_verdict v = { .code = 0 } ;
    (*h->msgend)(s, &v) ;
    if (v.code >= 400)
    {
      smtp_message_drop(s) ;
      s->refused++ ;
      smtp_refuse(s, &v, cmd, "smtpid", s->id) ;
      smtp_reset(s) ;
      return ;
    }
  }
  if (!errors && !m->answer && !m->localerr)
  {
    if (s->discard)
    {
      discarded(s, size) ;
      smtp_reset(s) ;
      return ;
    }
    if (m->injecting)
    {
      char a ;
      smtp_deadline(s, s->engine->timeouts.dataterm) ;
      a = qinject_finish(&m->q, m->reply, sizeof(m->reply), &s->deadline) ;
      qinject_close(&m->q) ;
      m->injecting = 0 ;
      if (a == 'K' && m->reply[1])
      {
        accepted(s, m->reply + 1, size) ;
        smtp_reset(s) ;
        return ;
      }
      if (a == 'Z' || a == 'D') m->answer = a ;
    }
  }
  s->refused++ ;
  if (errors) refuse_content(s, errors, cmd) ;
  else if (m->answer) relay_answer(s, m, cmd) ;
  else
  {
    smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "queue failure, try again later", .reason = "queue_failed" } ;
    smtp_refuse(s, &v, cmd, "smtpid", s->id) ;
  }
  smtp_reset(s) ;
}

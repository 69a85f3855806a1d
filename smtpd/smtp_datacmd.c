/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <skalibs/buffer.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unix-timed.h>

#include "common/log.h"
#include "common/qinject.h"
#include "smtp_data.h"
#include "smtp_received.h"
#include "smtp_session.h"

/* DATA (RFC 5321 4.1.1.4): the envelope goes to queued before we say
 * 354, the message is streamed to queued as it arrives, and 250 is said
 * only after queued has committed it (its K answer). Whatever happens,
 * the client's data is read to its real end, so the session stays in
 * step: a refused message never turns into commands. */

#define SMTPID_LEN 16

/* A session-unique message id for the Received header and the log:
 * [0-9A-Za-z], 16 characters, about 95 bits of randomness. */
static void make_smtpid (char *id)
{
  static char const alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;
  unsigned char r[SMTPID_LEN] ;
  random_buf((char *)r, SMTPID_LEN) ;
  for (unsigned int i = 0 ; i < SMTPID_LEN ; i++) id[i] = alphabet[r[i] % 62] ;
  id[SMTPID_LEN] = 0 ;
}

/* The message's fate, as far as we know it. */
typedef struct fate_s fate, *fate_ref ;
struct fate_s
{
  int injecting ;        /* the queue connection is up and still taking data */
  char answer ;          /* queued's K/Z/D, 0 if none yet */
  int localerr ;         /* the injection failed on our side */
  char reply[512] ;      /* queued's answer line */
} ;

static void inject_failed (qinject *q, fate *f)
{
  char a = qinject_early(q, f->reply, sizeof(f->reply)) ;
  if (a) f->answer = a ;
  else f->localerr = 1 ;
  f->injecting = 0 ;
  qinject_close(q) ;
}

static int send_field (qinject *q, char tag, char const *s, tain const *deadline)
{
  return qinject_field(q, tag, s, strlen(s), deadline) ;
}

static int send_envelope (smtp_session *s, qinject *q)
{
  size_t i = 0 ;
  if (!send_field(q, 'F', s->sender, &s->deadline)) return 0 ;
  if (s->mailparams.body == SMTP_BODY_8BITMIME && !send_field(q, 'M', "BODY=8BITMIME", &s->deadline)) return 0 ;
  if (s->mailparams.body == SMTP_BODY_7BIT && !send_field(q, 'M', "BODY=7BIT", &s->deadline)) return 0 ;
  while (i < s->rcpts.len)
  {
    if (!send_field(q, 'T', s->rcpts.s + i, &s->deadline)) return 0 ;
    i += strlen(s->rcpts.s + i) + 1 ;
  }
  if (!send_field(q, 'H', s->helo, &s->deadline)) return 0 ;
  if (s->ip && !send_field(q, 'C', s->ip, &s->deadline)) return 0 ;
  return send_field(q, 'P', smtp_protocol(s), &s->deadline) ;
}

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

/* Relays queued's Z or D answer: "Z4.3.1 text" → 452 4.3.1 text. */
static void relay_answer (smtp_session *s, fate const *f, char const *smtpid)
{
  char enh[16] = "4.3.0" ;
  char const *text = "temporary queue failure" ;
  unsigned int code = 451 ;
  char cls = f->answer == 'D' ? '5' : '4' ;
  size_t n = enhanced_code(f->reply + 1, cls) ;
  if (cls == '5') { code = 554 ; memcpy(enh, "5.3.0", 6) ; text = "message refused by the queue" ; }
  if (n && n < sizeof(enh))
  {
    memcpy(enh, f->reply + 1, n) ;
    enh[n] = 0 ;
    if (f->reply[1 + n] == ' ' && f->reply[2 + n]) text = f->reply + 2 + n ;
    if (cls == '4' && !strcmp(enh, "4.3.1")) code = 452 ;
  }
  {
    smtp_verdict v = { .code = code, .enh = enh, .text = text, .reason = f->answer == 'D' ? "queue_refused" : "queue_deferred" } ;
    smtp_refuse(s, &v, "DATA", "smtpid", smtpid) ;
  }
}

static void accepted (smtp_session *s, char const *qid, char const *smtpid, uint64_t size)
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
  log_kv(&l, "smtpid", smtpid) ;
  log_kv(&l, "from", s->sender) ;
  log_kvu(&l, "nrcpt", s->nrcpt) ;
  log_kvu(&l, "size", size) ;
  log_kv(&l, "ip", s->ip) ;
  log_commit(&l) ;
  s->messages++ ;
  s->errors = 0 ;  /* the error limit counts errors since the last message */
  smtp_reply(s, 250, "2.0.0", text) ;
}

/* The message itself could not be taken: say why. */
static void refuse_content (smtp_session *s, smtp_data const *d, char const *smtpid)
{
  smtp_verdict v ;
  if (d->errors & (SMTP_DATA_BARECR | SMTP_DATA_BARELF))
    v = (smtp_verdict){ .code = 550, .enh = "5.6.11", .text = "bare CR or LF not allowed", .reason = "bare_cr_lf" } ;
  else if (d->errors & SMTP_DATA_NUL)
    v = (smtp_verdict){ .code = 550, .enh = "5.6.0", .text = "NUL bytes not allowed", .reason = "nul" } ;
  else if (d->errors & SMTP_DATA_LONGLINE)
    v = (smtp_verdict){ .code = 550, .enh = "5.6.0", .text = "message has a line longer than 65536 bytes", .reason = "long_line" } ;
  else
    v = (smtp_verdict){ .code = 552, .enh = "5.3.4", .text = "message size exceeds fixed maximum message size", .reason = "size" } ;
  smtp_refuse(s, &v, "DATA", "smtpid", smtpid) ;
}

void smtp_do_data (smtp_session *s, smtp_cmd const *c)
{
  static char out[SMTP_INBUF_SIZE] ;
  qinject q ;
  fate f = { .injecting = 0, .answer = 0, .localerr = 0 } ;
  smtp_data d ;
  char smtpid[SMTPID_LEN + 1] ;
  if (!s->inmail)
  {
    smtp_verdict v = { .code = 503, .enh = "5.5.1", .text = "need MAIL command", .reason = "sequence" } ;
    smtp_refuse(s, &v, "DATA", 0, 0) ;
    return ;
  }
  if (!s->nrcpt)
  {
    /* RFC 2920 3.1: all RCPTs of a pipelined group may have failed */
    smtp_verdict v = { .code = 554, .enh = "5.5.1", .text = "no valid recipients", .reason = "sequence" } ;
    smtp_refuse(s, &v, "DATA", 0, 0) ;
    return ;
  }
  if (c->arglen)
  {
    smtp_verdict v = { .code = 501, .enh = "5.5.4", .text = "syntax: DATA", .reason = "syntax" } ;
    smtp_refuse(s, &v, "DATA", 0, 0) ;
    return ;
  }
  make_smtpid(smtpid) ;

  /* The queue first: if it is not there, the client keeps its message. */
  smtp_deadline(s) ;
  {
    int connected = qinject_connect(&q, s->engine->injectpath, &s->deadline) ;
    if (!connected || !send_envelope(s, &q))
    {
      int e = errno ;
      smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "queue unavailable, try again later", .reason = "queue_unavailable" } ;
      if (connected) qinject_close(&q) ;
      smtp_refuse(s, &v, "DATA", "errno", strerror(e)) ;
      return ;  /* the transaction stays: the client may try DATA again */
    }
  }
  f.injecting = 1 ;
  {
    stralloc hdr = STRALLOC_ZERO ;
    smtp_received r =
    {
      .helo = s->helo,
      .rdns = s->rdns,
      .ip = s->ip,
      .host = s->engine->hostname,
      .proto = smtp_protocol(s),
      .id = smtpid,
      .rcpt = s->nrcpt == 1 ? s->rcpts.s : 0,
      .when = time(0)
    } ;
    if (!smtp_received_build(&hdr, &r)) f.localerr = 1 ;
    else if (!qinject_data(&q, hdr.s, hdr.len, &s->deadline)) inject_failed(&q, &f) ;
    stralloc_free(&hdr) ;
    if (f.localerr && f.injecting) { f.injecting = 0 ; qinject_close(&q) ; }
  }

  if (!smtp_out_reply(&s->out, 354, 0, "End data with <CR><LF>.<CR><LF>")) smtp_fail(s, "write") ;
  smtp_flush(s) ;  /* RFC 2920 3.1: DATA is a synchronisation point */

  smtp_data_init(&d, s->engine->maxsize ? s->engine->maxsize : UINT64_MAX, SMTP_DATALINE_MAX) ;
  while (!d.done)
  {
    struct iovec v[2] ;
    size_t used, outlen ;
    if (buffer_isempty(&s->in))
    {
      ssize_t r ;
      smtp_deadline(s) ;
      r = buffer_timed_fill(&s->in, &s->deadline, &STAMP) ;
      if (r < 0)
      {
        if (f.injecting) qinject_close(&q) ;
        if (errno == ETIMEDOUT) smtp_timeout(s) ;
        smtp_fail(s, "read") ;
      }
      if (!r)
      {
        if (f.injecting) qinject_close(&q) ;
        smtp_end(s, "eof_in_data", 0) ;
      }
    }
    buffer_rpeek(&s->in, v) ;
    used = smtp_data_feed(&d, v[0].iov_base, v[0].iov_len, out, &outlen) ;
    buffer_rseek(&s->in, used) ;
    if (!f.injecting) continue ;
    if (d.errors)
    {
      /* refused whatever queued says: dropping the connection mid-message
       * makes queued-inject discard it */
      f.injecting = 0 ;
      qinject_close(&q) ;
      continue ;
    }
    if (outlen)
    {
      smtp_deadline(s) ;
      if (!qinject_data(&q, out, outlen, &s->deadline)) inject_failed(&q, &f) ;
    }
  }

  if (!d.errors && !f.answer && !f.localerr && f.injecting)
  {
    char a ;
    smtp_deadline(s) ;
    a = qinject_finish(&q, f.reply, sizeof(f.reply), &s->deadline) ;
    qinject_close(&q) ;
    f.injecting = 0 ;
    if (a == 'K' && f.reply[1])
    {
      accepted(s, f.reply + 1, smtpid, d.size) ;
      smtp_reset(s) ;
      return ;
    }
    if (a == 'Z' || a == 'D') f.answer = a ;
  }
  s->refused++ ;
  smtp_reset(s) ;
  if (d.errors) refuse_content(s, &d, smtpid) ;
  else if (f.answer) relay_answer(s, &f, smtpid) ;
  else
  {
    smtp_verdict v = { .code = 451, .enh = "4.3.0", .text = "queue failure, try again later", .reason = "queue_failed" } ;
    smtp_refuse(s, &v, "DATA", "smtpid", smtpid) ;
  }
}

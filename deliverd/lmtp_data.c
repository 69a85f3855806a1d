/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/log.h"
#include "smtpd/smtp_data.h"
#include "smtpd/smtp_out.h"
#include "smtpd/smtp_received.h"
#include "deliver.h"
#include "delivreq.h"
#include "lmtp.h"

/* DATA (RFC 2033 4.2): the message is read to its real end with smtpd's
 * DATA reader (CRLF . CRLF only, dot-unstuffing, bare CR / LF and NUL
 * refused, line and size limits), kept in an anonymous memory file in
 * the queue's form (LF line ends, our Received header on top), then
 * delivered to each accepted recipient in turn by deliverd's code; each
 * recipient's reply is written as soon as its copy is fsynced in new/,
 * so the MTA can retire recipients one by one. */

/* One recipient's answer, kept for the duplicates that follow it. */
typedef struct answer_s answer ;
struct answer_s
{
  unsigned int code ;
  char enh[16] ;
  char text[LMTP_VERDICT_TEXT_MAX] ;
} ;

static void reply_line (lmtp_session *s, unsigned int code, char const *enh, char const *text)
{
  if (!smtp_out_reply(&s->out, code, enh, text)) lmtp_fail(s, "write") ;
}

/* The whole message refused for its content: the same reply for each
 * recipient (RFC 2033 4.2 still wants one per recipient). */
static void content_refusal (unsigned int errors, unsigned int *code, char const **enh, char const **text, char const **reason)
{
  if (errors & SMTP_DATA_TOOBIG) { *code = 552 ; *enh = "5.3.4" ; *text = "message size exceeds fixed maximum message size" ; *reason = "size" ; }
  else if (errors & (SMTP_DATA_BARECR | SMTP_DATA_BARELF)) { *code = 550 ; *enh = "5.6.11" ; *text = "bare CR or LF not allowed" ; *reason = "bare_cr_lf" ; }
  else if (errors & SMTP_DATA_NUL) { *code = 550 ; *enh = "5.6.0" ; *text = "NUL bytes not allowed" ; *reason = "nul" ; }
  else { *code = 550 ; *enh = "5.6.0" ; *text = "line too long" ; *reason = "long_line" ; }
}

static unsigned int unique_rcpts (lmtp_session const *s, char const **one)
{
  lmtp_rcpt const *r = genalloc_s(lmtp_rcpt, &s->rcptlist) ;
  unsigned int n = genalloc_len(lmtp_rcpt, &s->rcptlist) ;
  unsigned int u = 0 ;
  for (unsigned int i = 0 ; i < n ; i++)
    if (r[i].first == i) { u++ ; *one = s->rcpts.s + r[i].key ; }
  return u ;
}

/* The Received header (RFC 5321 4.4), Dovecot's LMTP does the same:
 * from <lhlo> ([ip]) by <host> (posthaste) with LMTP id <id>, "for"
 * only with a single recipient. */
static int write_received (lmtp_session *s, int fd)
{
  stralloc sa = STRALLOC_ZERO ;
  char const *one = 0 ;
  smtp_received r =
  {
    .helo = s->lhlo,
    .rdns = s->rdns,
    .ip = s->ip,
    .host = s->conf->hostname,
    .proto = "LMTP",   /* RFC 3848 */
    .id = s->id,
    .rcpt = 0,
    .tlsproto = 0,
    .when = time(0)
  } ;
  int ok ;
  if (unique_rcpts(s, &one) == 1) r.rcpt = one ;
  ok = smtp_received_build(&sa, &r) && allwrite(fd, sa.s, sa.len) == sa.len ;
  stralloc_free(&sa) ;
  return ok ;
}

static void log_received (lmtp_session *s, uint64_t size)
{
  logline l ;
  log_begin(&l, "received") ;
  log_kv(&l, "qid", s->id) ;
  log_kv(&l, "from", s->sender) ;
  log_kvu(&l, "nrcpt", genalloc_len(lmtp_rcpt, &s->rcptlist)) ;
  log_kvu(&l, "size", size) ;
  log_kv(&l, "lhlo", s->lhlo) ;
  log_kv(&l, "peer", s->peer) ;
  log_commit(&l) ;
}

static void log_refused (lmtp_session *s, unsigned int code, char const *reason, char const *err)
{
  logline l ;
  log_begin(&l, "reject") ;
  log_kv(&l, "peer", s->peer) ;
  log_kv(&l, "cmd", "DATA") ;
  log_kvu(&l, "code", code) ;
  log_kv(&l, "reason", reason) ;
  log_kv(&l, "qid", s->id) ;
  if (err) log_kv(&l, "errno", err) ;
  log_commit(&l) ;
}

/* Delivers to each recipient and answers it, in RCPT order. */
static void deliver_all (lmtp_session *s, int fd, genalloc *answers)
{
  stralloc reply = STRALLOC_ZERO ;
  lmtp_rcpt const *r = genalloc_s(lmtp_rcpt, &s->rcptlist) ;
  unsigned int n = genalloc_len(lmtp_rcpt, &s->rcptlist) ;
  genalloc_setlen(answer, answers, 0) ;
  if (!stralloc_ready(answers, n * sizeof(answer))) lmtp_fail(s, "allocate memory") ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    answer *a = genalloc_s(answer, answers) + i ;
    char const *key = s->rcpts.s + r[i].key ;
    if (r[i].first != i) *a = genalloc_s(answer, answers)[r[i].first] ;
    else
    {
      delivreq req = { .qid = s->id, .sender = s->sender, .rcpt = key, .folder = 0 } ;
      if (deliver_request(s->dctx, &req, fd, &reply))
        a->code = lmtp_verdict(reply.s, reply.len, key, s->id, a->enh, a->text) ;
      else
      {
        /* out of memory: this recipient waits, the others may fare better */
        a->code = 451 ;
        memcpy(a->enh, "4.3.0", 6) ;
        memcpy(a->text, "out of memory", 14) ;
        log_event3("deferred", "qid", s->id, "rcpt", key, "reason", "out of memory") ;
      }
    }
    genalloc_setlen(answer, answers, i + 1) ;
    lmtp_deadline(s, s->conf->tdataterm) ;
    reply_line(s, a->code, a->enh, a->text) ;
    lmtp_flush(s) ;
  }
  stralloc_free(&reply) ;
}

void lmtp_do_data (lmtp_session *s, smtp_cmd const *c)
{
  static char out[LMTP_INBUF_SIZE] ;
  static genalloc answers = GENALLOC_ZERO ;
  smtp_data d ;
  unsigned int n = genalloc_len(lmtp_rcpt, &s->rcptlist) ;
  int localerr = 0 ;
  int fd ;
  if (!s->inmail) { lmtp_refuse(s, "DATA", 503, "5.5.1", "need MAIL command", "sequence", 0) ; return ; }
  /* RFC 2033 4.2: no successful RCPT, DATA fails with 503 */
  if (!n) { lmtp_refuse(s, "DATA", 503, "5.5.1", "no valid recipients", "sequence", 0) ; return ; }
  if (c->arglen) { lmtp_refuse(s, "DATA", 501, "5.5.4", "syntax: DATA", "syntax", 0) ; return ; }

  /* An anonymous file in memory: deliver_request reads its message with
   * pread from offset 0, once per recipient. Bounded by the size limit. */
  fd = memfd_create("lmtpd-message", MFD_CLOEXEC) ;
  if (fd == -1 || !write_received(s, fd))
  {
    log_refused(s, 451, "tmpfile", strerror(errno)) ;
    if (fd >= 0) close(fd) ;
    lmtp_reply(s, 451, "4.3.0", "cannot store the message: try again later") ;
    return ;
  }

  if (!smtp_out_reply(&s->out, 354, 0, "End data with <CR><LF>.<CR><LF>")) lmtp_fail(s, "write") ;
  lmtp_flush(s) ;  /* RFC 2920 3.1: DATA is a synchronisation point */

  smtp_data_init(&d, s->conf->maxsize ? s->conf->maxsize : UINT64_MAX, LMTP_DATALINE_MAX) ;
  while (!d.done)
  {
    struct iovec v[2] ;
    size_t used, outlen ;
    if (buffer_isempty(&s->in)) lmtp_fill(s) ;
    buffer_rpeek(&s->in, v) ;
    used = smtp_data_feed(&d, v[0].iov_base, v[0].iov_len, out, &outlen) ;
    buffer_rseek(&s->in, used) ;
    /* after an error, read on to the real end of data and answer then:
     * the session stays in step */
    if (!d.errors && !localerr && outlen && allwrite(fd, out, outlen) < outlen) localerr = errno ? errno : EIO ;
  }

  if (d.errors || localerr)
  {
    unsigned int code = 451 ;
    char const *enh = "4.3.0" ;
    char const *text = "cannot store the message: try again later" ;
    char const *reason = "tmpfile" ;
    if (d.errors) content_refusal(d.errors, &code, &enh, &text, &reason) ;
    log_refused(s, code, reason, localerr && !d.errors ? strerror(localerr) : 0) ;
    lmtp_deadline(s, s->conf->tdataterm) ;
    for (unsigned int i = 0 ; i < n ; i++) reply_line(s, code, enh, text) ;
  }
  else
  {
    log_received(s, d.size) ;
    deliver_all(s, fd, &answers) ;
    s->messages++ ;
    s->errors = 0 ;
  }
  close(fd) ;
  lmtp_reset(s) ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/dsn_utf8.h"
#include "common/log.h"
#include "smtpc.h"
#include "remote_deliver.h"
#include "remote_idna.h"

 /* One mail transaction (RFC 5321 3.3): MAIL, RCPT for each recipient,
    then DATA (RFC 5321 4.5.2 dot-stuffing) or BDAT chunks (RFC 3030
    CHUNKING). With PIPELINING (RFC 2920) the commands up to DATA go out
    in one write and the replies are read in order; at most 100 RCPTs
    per transaction keep that write and its replies well inside the
    socket buffers, so neither side can block the other. */

static int ascii (char const *s)
{
  for (; *s ; s++) if ((unsigned char)*s >= 0x80) return 0 ;
  return 1 ;
}

static int has_success (char const *notify)
{
  return notify && strstr(notify, "SUCCESS") ;
}

 /* The RFC 6531 question: must this transaction use SMTPUTF8? Yes if an
    address is not ASCII, or the sender said so and the header section
    does have 8-bit bytes (RFC 6532 headers). */
static int needs_utf8 (remote_ctx *x, unsigned int const *idx, unsigned int n)
{
  if (!ascii(x->req->sender)) return 1 ;
  for (unsigned int i = 0 ; i < n ; i++) if (!ascii(x->req->rcpt[idx[i]].addr)) return 1 ;
  return x->req->smtputf8 && x->msg->header8bit ;
}

static int put_addr (char const *addr, int alabels, stralloc *out)
{
  char const *why ;
  if (!alabels) return stralloc_cats(out, addr) ;
  return remote_addr_alabel(addr, out, &why) > 0 ;   /* convertible: downgrade() checked it */
}

static int mail_cmd (remote_ctx *x, int utf8, int alabels, stralloc *out)
{
  smtpc_caps const *caps = &x->conn.caps ;
  remote_req const *q = x->req ;
  if (!stralloc_cats(out, "MAIL FROM:<") || !put_addr(q->sender, alabels, out) || !stralloc_cats(out, ">")) return 0 ;
  if (!x->conn.esmtp) return stralloc_cats(out, "\r\n") ;
  if (caps->flags & SMTPC_SIZE)
  {
    char fmt[UINT64_FMT] ;
    fmt[uint64_fmt(fmt, x->msg->wiresize)] = 0 ;
    if (!stralloc_cats(out, " SIZE=") || !stralloc_cats(out, fmt)) return 0 ;
  }
  if (q->body && !strcmp(q->body, "BINARYMIME") && (caps->flags & SMTPC_BINARYMIME) && (caps->flags & SMTPC_CHUNKING))
  {
    if (!stralloc_cats(out, " BODY=BINARYMIME")) return 0 ;
  }
  else if ((x->msg->has8bit || (q->body && strcmp(q->body, "7BIT"))) && (caps->flags & SMTPC_8BITMIME))
  {
    if (!stralloc_cats(out, " BODY=8BITMIME")) return 0 ;
  }
  if ((caps->flags & SMTPC_SMTPUTF8) && (utf8 || q->smtputf8))
  {
    if (!stralloc_cats(out, " SMTPUTF8")) return 0 ;
  }
  if (caps->flags & SMTPC_DSN)
  {
    if (q->ret && (!stralloc_cats(out, " RET=") || !stralloc_cats(out, q->ret))) return 0 ;
    if (q->envid && (!stralloc_cats(out, " ENVID=") || !stralloc_cats(out, q->envid))) return 0 ;
  }
   /* RFC 8689 4.2.1 step 6: the requirement goes on to the next hop (the
      session has checked verified TLS and the keyword) */
  if (q->requiretls && x->conn.tls && (caps->flags & SMTPC_REQUIRETLS))
  {
    if (!stralloc_cats(out, " REQUIRETLS")) return 0 ;
  }
  return stralloc_cats(out, "\r\n") ;
}

#define ORCPT_MAX 500   /* RFC 3461 4.2: the whole ORCPT value */

 /* The ORCPT to send (RFC 3461 4.2, RFC 6533 3): an ASCII one as it came;
    a utf-8 one with raw UTF-8 (utf-8-addr-unitext, taken under SMTPUTF8)
    as it came when this transaction has SMTPUTF8 too, else rewritten as
    utf-8-addr-xtext, which is pure ASCII and xtext, the form RFC 6533 3
    gives a server without SMTPUTF8. Anything else non-ASCII is not sent
    (the value came from our own queue; this is a guard). 1 with the
    parameter appended or nothing to send, 0 on ENOMEM. */
static int orcpt_param (char const *orcpt, int smtputf8, stralloc *out)
{
  static stralloc addr = STRALLOC_ZERO ;
  static stralloc xtext = STRALLOC_ZERO ;
  char const *semi = strchr(orcpt, ';') ;
  if (ascii(orcpt) || smtputf8) return stralloc_cats(out, " ORCPT=") && stralloc_cats(out, orcpt) ;
  if (!semi || semi - orcpt != 5 || strncasecmp(orcpt, "utf-8", 5)) return 1 ;
  addr.len = xtext.len = 0 ;
  if (!dsn_utf8addr_decode(&addr, semi + 1, strlen(semi + 1))
   || !dsn_utf8addr_encode(&xtext, addr.s, addr.len, 1)) return errno == EINVAL ;
  if (6 + xtext.len > ORCPT_MAX) return 1 ;
  return stralloc_cats(out, " ORCPT=utf-8;") && stralloc_catb(out, xtext.s, xtext.len) ;
}

static int rcpt_cmd (remote_ctx *x, remote_rcpt const *r, int utf8, int alabels, stralloc *out)
{
  if (!stralloc_cats(out, "RCPT TO:<") || !put_addr(r->addr, alabels, out) || !stralloc_cats(out, ">")) return 0 ;
  if (x->conn.esmtp && (x->conn.caps.flags & SMTPC_DSN))
  {
     /* SMTPUTF8 is on the MAIL command exactly then (mail_cmd) */
    int smtputf8 = (x->conn.caps.flags & SMTPC_SMTPUTF8) && (utf8 || x->req->smtputf8) ;
    if (r->notify && (!stralloc_cats(out, " NOTIFY=") || !stralloc_cats(out, r->notify))) return 0 ;
    if (r->orcpt && !orcpt_param(r->orcpt, smtputf8, out)) return 0 ;
  }
  return stralloc_cats(out, "\r\n") ;
}

 /* Can addr's domain be written in A-labels? 1 yes; 0 no, *f says why
    (with code, or 4.3.0 when out of memory). */
static int convertible (remote_ctx *x, char const *addr, char const *code, char const *whose, remote_fail *f)
{
  stralloc scratch = STRALLOC_ZERO ;
  char const *why = "out of memory" ;
  char what[REMOTE_TEXT_MAX] ;
  char const *part[4] = { "the server does not offer SMTPUTF8 and ", whose, " domain cannot be converted to A-labels (RFC 5891): ", 0 } ;
  size_t w = 0 ;
  int r = remote_addr_alabel(addr, &scratch, &why) ;
  stralloc_free(&scratch) ;
  if (r > 0) return 1 ;
  part[3] = why ;
  for (unsigned int i = 0 ; i < 4 ; i++)
    for (char const *p = part[i] ; *p && w + 1 < sizeof(what) ; p++) what[w++] = *p ;
  what[w] = 0 ;
  remote_fail_local(x, f, r ? code : "4.3.0", what, 0) ;
  return 0 ;
}

 /* The message needs SMTPUTF8 and the server does not offer it: can
    the addresses go with their domains in A-labels (RFC 6531 3.2)? Not
    when a local part is not ASCII (it has no other form), nor when the
    sender declared SMTPUTF8 for UTF-8 header fields (RFC 6532: those are
    not rewritten). 1 yes; -1 no, 0 out of memory, *f
    says why. */
static int downgrade (remote_ctx *x, unsigned int const *idx, unsigned int n, remote_fail *f)
{
  if (x->req->smtputf8 && x->msg->header8bit)
  {
    remote_fail_local(x, f, "5.6.7", "the message has UTF-8 header fields, which need SMTPUTF8 (RFC 6532), and the server does not offer it", 0) ;
    return -1 ;
  }
  if (!remote_addr_local_ascii(x->req->sender))
  {
    remote_fail_local(x, f, "5.6.7", "the sender address has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the server does not offer it", 0) ;
    return -1 ;
  }
  for (unsigned int i = 0 ; i < n ; i++) if (!remote_addr_local_ascii(x->req->rcpt[idx[i]].addr))
  {
    remote_fail_local(x, f, "5.6.7", "a recipient address has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the server does not offer it", 0) ;
    return -1 ;
  }
  if (!convertible(x, x->req->sender, "5.1.7", "the sender's", f)) return f->text[0] == '4' ? 0 : -1 ;
  for (unsigned int i = 0 ; i < n ; i++)
    if (!convertible(x, x->req->rcpt[idx[i]].addr, "5.1.2", "a recipient's", f)) return f->text[0] == '4' ? 0 : -1 ;
  return 1 ;
}

 /* Once per request, when the data has gone out: how many lines the
    encoder broke (over SMTPC_TEXT_LINE_MAX, the stuffed dot counted). */
static void log_long_lines (remote_ctx *x, smtpc_enc const *e)
{
  logline l ;
  if (!e->longlines || x->longlines_logged) return ;
  x->longlines_logged = 1 ;
  log_begin(&l, "long_lines_broken") ;
  log_kv(&l, "qid", x->req->qid) ;
  log_kvu(&l, "lines", e->longlines) ;
  log_kvu(&l, "limit", SMTPC_TEXT_LINE_MAX) ;
  log_commit(&l) ;
}

 /* The verdict of every accepted recipient from the reply that ends the
    data (or aborts it). */
static void data_verdict (remote_ctx *x, unsigned int const *idx, unsigned int n, smtpc_reply const *rep, char const *cmd)
{
  for (unsigned int i = 0 ; i < n ; i++)
  {
    remote_result *r = &x->result[idx[i]] ;
    if (!r->accepted) continue ;
    remote_verdict_reply(x, r, rep, cmd) ;
    if (r->verdict == 'K' && !(x->conn.caps.flags & SMTPC_DSN) && has_success(x->req->rcpt[idx[i]].notify))
      r->relayed = 1 ;
  }
}

 /* A local failure after recipients were accepted: they wait. */
static void local_verdict (remote_ctx *x, unsigned int const *idx, unsigned int n, char const *text)
{
  remote_fail f ;
  remote_fail_text(&f, "4.3.0", text) ;
  for (unsigned int i = 0 ; i < n ; i++)
    if (x->result[idx[i]].accepted) remote_verdict_fail(&x->result[idx[i]], 'Z', &f) ;
}

 /* Reads the next block of the queue file into buf; 1, or 0 with errno. */
static int read_block (remote_msg const *m, uint64_t off, char *buf, size_t *got)
{
  size_t want = m->size - off > REMOTE_BLOCK ? REMOTE_BLOCK : (size_t)(m->size - off) ;
  for (;;)
  {
    ssize_t r = pread(m->fd, buf, want, (off_t)off) ;
    if (r < 0 && errno == EINTR) continue ;
    if (r < 0) return 0 ;
    if (!r && want) return (errno = EIO, 0) ;
    *got = (size_t)r ;
    return 1 ;
  }
}

 /* DATA: the message, dot-stuffed, then ".". 1 sent, 0 I/O error on the
    connection (errno), -1 the queue file could not be read. */
static int send_data (remote_ctx *x, stralloc *sa)
{
  static char buf[REMOTE_BLOCK] ;
  smtpc_enc e = SMTPC_ENC_INIT(1) ;
  uint64_t off = 0 ;
  tain deadline ;
  while (off < x->msg->size)
  {
    size_t got ;
    if (!read_block(x->msg, off, buf, &got)) return -1 ;
    off += got ;
    sa->len = 0 ;
    if (!smtpc_encode(&e, buf, got, sa, 0)) return -1 ;
    remote_deadline(&deadline, x->conf.t_data_block) ;
    if (!smtpc_send(&x->conn, sa->s, sa->len, &deadline)) return 0 ;
  }
  sa->len = 0 ;
  if (!smtpc_encode_end(&e, sa, 0) || !stralloc_cats(sa, ".\r\n")) return -1 ;
  remote_deadline(&deadline, x->conf.t_data_block) ;
  if (!smtpc_send(&x->conn, sa->s, sa->len, &deadline)) return 0 ;
  log_long_lines(x, &e) ;
  return 1 ;
}

 /* BDAT (RFC 3030 2): each block of the queue file, encoded (no
    dot-stuffing), is one chunk; the last one says LAST. Returns 1 with
    *rep the reply to the last chunk sent (a failure reply ends the
    loop early), 0 I/O error, -1 the queue file could not be read. */
static int send_bdat (remote_ctx *x, stralloc *sa, smtpc_reply *rep)
{
  static char buf[REMOTE_BLOCK] ;
  smtpc_enc e = SMTPC_ENC_INIT(0) ;
  uint64_t off = 0 ;
  int last = 0 ;
  while (!last)
  {
    char hdr[40] ;
    char fmt[UINT64_FMT] ;
    size_t got = 0, hl ;
    tain deadline ;
    sa->len = 0 ;
    if (off < x->msg->size)
    {
      if (!read_block(x->msg, off, buf, &got)) return -1 ;
      off += got ;
      if (!smtpc_encode(&e, buf, got, sa, 0)) return -1 ;
    }
    if (off >= x->msg->size)
    {
      last = 1 ;
      if (!smtpc_encode_end(&e, sa, 0)) return -1 ;
    }
    fmt[uint64_fmt(fmt, sa->len)] = 0 ;
    hl = 0 ;
    memcpy(hdr, "BDAT ", 5) ; hl = 5 ;
    memcpy(hdr + hl, fmt, strlen(fmt)) ; hl += strlen(fmt) ;
    if (last) { memcpy(hdr + hl, " LAST", 5) ; hl += 5 ; }
    memcpy(hdr + hl, "\r\n", 2) ; hl += 2 ;
    remote_deadline(&deadline, x->conf.t_data_block) ;
    if (!smtpc_send(&x->conn, hdr, hl, &deadline) || !smtpc_send(&x->conn, sa->s, sa->len, &deadline)) return 0 ;
    remote_deadline(&deadline, last ? x->conf.t_data_done : x->conf.t_command) ;
    if (!smtpc_read(&x->conn, rep, &deadline)) return 0 ;
    if (rep->code / 100 != 2) return 1 ;
  }
  log_long_lines(x, &e) ;
  return 1 ;
}

int remote_txn (remote_ctx *x, unsigned int const *idx, unsigned int n, remote_fail *f)
{
  smtpc *c = &x->conn ;
  smtpc_caps const *caps = &c->caps ;
  stralloc sa = STRALLOC_ZERO ;
  smtpc_reply rep ;
  tain deadline ;
  int utf8 = needs_utf8(x, idx, n) ;
  int alabels = 0 ;
  int pipelining = c->esmtp && (caps->flags & SMTPC_PIPELINING) ;
  int chunking = c->esmtp && (caps->flags & SMTPC_CHUNKING) ;
  unsigned int accepted = 0 ;
  int ret = 0 ;

   /* What this host cannot take goes to the next one, or bounces when
      none can. */
  if (caps->sizemax && x->msg->wiresize > caps->sizemax)
  {
    char a[UINT64_FMT], b[UINT64_FMT], what[128] ;
    size_t w = 0 ;
    a[uint64_fmt(a, x->msg->wiresize)] = 0 ;
    b[uint64_fmt(b, caps->sizemax)] = 0 ;
    memcpy(what, "message size ", 13) ; w = 13 ;
    memcpy(what + w, a, strlen(a)) ; w += strlen(a) ;
    memcpy(what + w, " exceeds the server's limit of ", 31) ; w += 31 ;
    memcpy(what + w, b, strlen(b) + 1) ;
    remote_fail_local(x, f, "5.3.4", what, 0) ;
    return -1 ;
  }
  if (x->msg->has8bit && !(caps->flags & SMTPC_8BITMIME))
  {
     /* RFC 6152 3: 8-bit data only to a server that offers 8BITMIME;
        we do not downgrade to quoted-printable (MIME surgery that would
        break signatures), we bounce */
    remote_fail_local(x, f, "5.6.3", "the message has 8-bit content and the server does not offer 8BITMIME", 0) ;
    return -1 ;
  }
  if (utf8 && !(caps->flags & SMTPC_SMTPUTF8))
  {
    int k = downgrade(x, idx, n, f) ;
    if (k <= 0) return k ;
    utf8 = 0 ;
    alabels = 1 ;
  }

  for (unsigned int i = 0 ; i < n ; i++) x->result[idx[i]].accepted = 0 ;

  if (!mail_cmd(x, utf8, alabels, &sa)) goto nomem ;
  remote_deadline(&deadline, x->conf.t_command) ;
  if (pipelining)
  {
    for (unsigned int i = 0 ; i < n ; i++)
      if (!rcpt_cmd(x, &x->req->rcpt[idx[i]], utf8, alabels, &sa)) goto nomem ;
    if (!chunking && !stralloc_cats(&sa, "DATA\r\n")) goto nomem ;
  }
  if (!smtpc_send(c, sa.s, sa.len, &deadline)) { remote_fail_io(x, f, "sending MAIL FROM") ; goto end ; }
  if (!smtpc_read(c, &rep, &deadline)) { remote_fail_io(x, f, "after MAIL FROM") ; goto end ; }
  if (rep.code / 100 != 2)
  {
    if (rep.code / 100 == 5)
    {
       /* the sender is refused: every recipient bounces */
      for (unsigned int i = 0 ; i < n ; i++) remote_verdict_reply(x, &x->result[idx[i]], &rep, "MAIL FROM") ;
      ret = 1 ;
    }
    else remote_fail_reply(x, f, &rep, "MAIL FROM") ;
    if (rep.code / 100 == 4 || rep.code / 100 == 3) c->broken = 1 ;   /* pipelined replies pending: do not reuse */
    if (pipelining && ret)
    {
       /* drain the RCPT and DATA replies so the connection stays in step */
      for (unsigned int i = 0 ; i < n + !chunking ; i++)
      {
        smtpc_reply skip ;
        if (!smtpc_read(c, &skip, &deadline)) break ;
        if (skip.code == 354) c->broken = 1 ;
      }
    }
    goto end ;
  }

  for (unsigned int i = 0 ; i < n ; i++)
  {
    remote_result *r = &x->result[idx[i]] ;
    if (!pipelining)
    {
      sa.len = 0 ;
      if (!rcpt_cmd(x, &x->req->rcpt[idx[i]], utf8, alabels, &sa)) goto nomem ;
      remote_deadline(&deadline, x->conf.t_command) ;
      if (!smtpc_send(c, sa.s, sa.len, &deadline)) { remote_fail_io(x, f, "sending RCPT TO") ; goto end ; }
    }
    if (!smtpc_read(c, &rep, &deadline)) { remote_fail_io(x, f, "after RCPT TO") ; goto end ; }
    if (rep.code / 100 == 2) { r->accepted = 1 ; accepted++ ; }
    else if (rep.code / 100 == 4 || rep.code / 100 == 5) remote_verdict_reply(x, r, &rep, "RCPT TO") ;
    else { c->broken = 1 ; remote_fail_reply(x, f, &rep, "RCPT TO") ; f->text[0] = '4' ; goto end ; }
  }

  if (chunking)
  {
    int k ;
    if (!accepted) { ret = 1 ; goto end ; }
    k = send_bdat(x, &sa, &rep) ;
    if (k < 0) { c->broken = 1 ; local_verdict(x, idx, n, "unable to read the queue file") ; ret = 1 ; goto end ; }
    if (!k) { remote_fail_io(x, f, "sending BDAT") ; goto end ; }
    data_verdict(x, idx, n, &rep, "BDAT") ;
    ret = 1 ;
    goto end ;
  }

  if (!pipelining)
  {
    if (!accepted) { ret = 1 ; goto end ; }
    remote_deadline(&deadline, x->conf.t_data_init) ;
    if (!smtpc_send(c, "DATA\r\n", 6, &deadline)) { remote_fail_io(x, f, "sending DATA") ; goto end ; }
  }
  else remote_deadline(&deadline, x->conf.t_data_init) ;
  if (!smtpc_read(c, &rep, &deadline)) { remote_fail_io(x, f, "after DATA") ; goto end ; }
  if (rep.code != 354)
  {
    if (rep.code / 100 == 4 || rep.code / 100 == 5) data_verdict(x, idx, n, &rep, "DATA") ;
    else if (accepted) { c->broken = 1 ; remote_fail_reply(x, f, &rep, "DATA") ; f->text[0] = '4' ; goto end ; }
    ret = 1 ;
    goto end ;
  }
  if (!accepted)
  {
     /* RFC 2920 3.1: DATA went out with the RCPTs, all refused, and the
        server still said 354: end the empty message at once */
    remote_deadline(&deadline, x->conf.t_data_done) ;
    if (!smtpc_send(c, ".\r\n", 3, &deadline) || !smtpc_read(c, &rep, &deadline)) c->broken = 1 ;
    ret = 1 ;
    goto end ;
  }
  {
    int k = send_data(x, &sa) ;
    if (k < 0) { c->broken = 1 ; local_verdict(x, idx, n, "unable to read the queue file") ; ret = 1 ; goto end ; }
    if (!k) { remote_fail_io(x, f, "sending the message") ; goto end ; }
  }
  remote_deadline(&deadline, x->conf.t_data_done) ;
  if (!smtpc_read(c, &rep, &deadline))
  {
     /* the server may have the message: the sender may get it twice
        (RFC 1047), but never zero times */
    remote_fail_io(x, f, "after the end of the message") ;
    for (unsigned int i = 0 ; i < n ; i++)
      if (x->result[idx[i]].accepted) remote_verdict_fail(&x->result[idx[i]], 'Z', f) ;
    ret = 1 ;
    goto end ;
  }
  data_verdict(x, idx, n, &rep, "end of DATA") ;
  ret = 1 ;

 end:
  stralloc_free(&sa) ;
  if (ret == 1) c->uses++ ;
  return ret ;
 nomem:
  stralloc_free(&sa) ;
  remote_fail_local(x, f, "4.3.0", "out of memory", 0) ;
  return 0 ;
}

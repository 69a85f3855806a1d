/* ISC license. */

#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <skalibs/buffer.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "smtp_cmd.h"
#include "smtp_data.h"
#include "smtp_session.h"

/* BDAT (RFC 3030 CHUNKING): "BDAT size [LAST]", then exactly size octets
 * of message. The chunk is always read to its end, whatever we answer,
 * because its octets are not commands: a refused BDAT (no MAIL, no
 * recipient, after a failed chunk: RFC 3030 3, "accept and discard
 * additional BDAT chunks already in the pipeline") leaves the session in
 * step. The first chunk opens the message to queued (smtp_message.c);
 * each chunk is passed on and flushed as it comes; LAST ends it. A
 * failure before LAST (size, queue) ends the transaction at once, so
 * the chunks that follow get 503. Bad content (bare CR or LF, NUL, long
 * lines) is answered after LAST, as DATA does at its end. */

static void skip_chunk (smtp_session *s, uint64_t size)
{
  while (size)
  {
    struct iovec v[2] ;
    size_t n ;
    if (buffer_isempty(&s->in)) smtp_fill(s, "eof_in_data") ;
    buffer_rpeek(&s->in, v) ;
    n = v[0].iov_len < size ? v[0].iov_len : (size_t)size ;
    buffer_rseek(&s->in, n) ;
    size -= n ;
  }
}

static void take_chunk (smtp_session *s, uint64_t size)
{
  static char out[SMTP_INBUF_SIZE] ;
  while (size)
  {
    struct iovec v[2] ;
    size_t n, outlen ;
    if (buffer_isempty(&s->in)) smtp_fill(s, "eof_in_data") ;
    buffer_rpeek(&s->in, v) ;
    n = v[0].iov_len < size ? v[0].iov_len : (size_t)size ;
    outlen = smtp_chunk_feed(&s->chunkreader, v[0].iov_base, n, out) ;
    buffer_rseek(&s->in, n) ;
    size -= n ;
    if (s->chunkreader.errors) smtp_message_drop(s) ;
    else smtp_message_put(s, out, outlen) ;
  }
}

/* Refuses this BDAT after reading its chunk. */
static void refuse_chunk (smtp_session *s, uint64_t size, unsigned int code, char const *enh, char const *text)
{
  skip_chunk(s, size) ;
  smtp_refuse4(s, "BDAT", code, enh, text, "sequence") ;
}

void smtp_do_bdat (smtp_session *s, smtp_cmd const *c)
{
  uint64_t size ;
  int last ;
  smtp_deadline(s, s->engine->timeouts.datainit) ;
  if (!smtp_cmd_bdat(c->arg, c->arglen, &size, &last))
  {
    /* Without a size we cannot tell where the chunk ends, so what
     * follows could be message octets taken for commands: close. */
    smtp_reset(s) ;
    smtp_refuse4(s, "BDAT", 501, "5.5.4", "syntax: BDAT size [LAST]", "syntax") ;
    smtp_closing(s, 421, "4.5.0", "BDAT chunk size unknown, closing connection", "bad_bdat", 1) ;
  }
  if (!s->inmail) { refuse_chunk(s, size, 503, "5.5.1", "need MAIL command") ; return ; }
  if (!s->nrcpt) { refuse_chunk(s, size, 554, "5.5.1", "no valid recipients") ; return ; }
  if (s->bdat == SMTP_BDAT_NONE)
  {
    if (!smtp_message_start(s))
    {
      skip_chunk(s, size) ;
      s->refused++ ;
      smtp_message_refuse_start(s, "BDAT") ;
      smtp_reset(s) ;
      return ;
    }
    smtp_chunk_init(&s->chunkreader, s->engine->maxsize ? s->engine->maxsize : UINT64_MAX, s->engine->datalinemax) ;
    s->bdat = SMTP_BDAT_ACTIVE ;
  }
  take_chunk(s, size) ;
  if (last) smtp_chunk_end(&s->chunkreader) ;
  /* Too big, or the queue gave up: no use taking more chunks. */
  if (last || s->chunkreader.errors & SMTP_DATA_TOOBIG || s->msg.answer || s->msg.localerr)
  {
    smtp_message_end(s, s->chunkreader.errors, s->chunkreader.size, "BDAT") ;
    return ;
  }
  {
    char text[UINT64_FMT + 20] ;
    size_t n = uint64_fmt(text, size) ;
    memcpy(text + n, " octets received", 17) ;
    smtp_reply(s, 250, "2.0.0", text) ;
  }
}

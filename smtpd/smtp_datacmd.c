/* ISC license. */

#include <stdint.h>
#include <sys/uio.h>
#include <skalibs/buffer.h>

#include "smtp_data.h"
#include "smtp_session.h"

/* DATA (RFC 5321 4.1.1.4): the envelope goes to queued (and is flushed)
 * before we say 354, the message is streamed to queued as it arrives,
 * and 250 is said only after queued has committed it (smtp_message.c).
 * Whatever happens, the client's data is read to its real end, so the
 * session stays in step: a refused message never turns into commands. */

void smtp_do_data (smtp_session *s, smtp_cmd const *c)
{
  static char out[SMTP_INBUF_SIZE] ;
  smtp_data d ;
  smtp_deadline(s, s->engine->timeouts.datainit) ;
  if (!s->inmail) { smtp_refuse4(s, "DATA", 503, "5.5.1", "need MAIL command", "sequence") ; return ; }
  if (s->bdat)
  {
    /* RFC 3030 3: no DATA in a BDAT transaction; its state is then
     * undefined, so the transaction is dropped. */
    smtp_reset(s) ;
    smtp_refuse4(s, "DATA", 503, "5.5.1", "DATA after BDAT", "sequence") ;
    return ;
  }
  /* RFC 2920 3.1: all RCPTs of a pipelined group may have failed */
  if (!s->nrcpt) { smtp_refuse4(s, "DATA", 554, "5.5.1", "no valid recipients", "sequence") ; return ; }
  if (c->arglen) { smtp_refuse4(s, "DATA", 501, "5.5.4", "syntax: DATA", "syntax") ; return ; }

  /* The queue first: if it is not there, the client keeps its message
   * and its transaction; if queued refused the envelope, so do we. */
  if (!smtp_message_start(s))
  {
    int refused = !!s->msg.answer ;
    smtp_message_refuse_start(s, "DATA") ;
    if (refused) { s->refused++ ; smtp_reset(s) ; }
    return ;
  }

  if (!smtp_out_reply(&s->out, 354, 0, "End data with <CR><LF>.<CR><LF>")) smtp_fail(s, "write") ;
  smtp_flush(s) ;  /* RFC 2920 3.1: DATA is a synchronisation point */

  smtp_data_init(&d, s->engine->maxsize ? s->engine->maxsize : UINT64_MAX, s->engine->datalinemax) ;
  while (!d.done)
  {
    struct iovec v[2] ;
    size_t used, outlen ;
    if (buffer_isempty(&s->in)) smtp_fill(s, "eof_in_data") ;
    buffer_rpeek(&s->in, v) ;
    used = smtp_data_feed(&d, v[0].iov_base, v[0].iov_len, out, &outlen) ;
    buffer_rseek(&s->in, used) ;
    /* refused whatever queued says: dropping the connection
     * mid-message makes queued-inject discard it */
    if (d.errors) smtp_message_drop(s) ;
    else smtp_message_put(s, out, outlen) ;
  }
  smtp_message_end(s, d.errors, d.size, "DATA") ;
}

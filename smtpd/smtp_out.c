/* ISC license. */

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include <skalibs/unix-timed.h>

#include "smtp_out.h"

void smtp_out_init (smtp_out *o, int fd, tain const *deadline)
{
  buffer_init(&o->b, &buffer_write, fd, o->buf, SMTP_OUT_BUFSIZE) ;
  o->deadline = deadline ;
  o->lastcode = 0 ;
}

int smtp_out_flush (smtp_out *o)
{
  return buffer_timed_flush(&o->b, o->deadline, &STAMP) ;
}

int smtp_out_line (smtp_out *o, unsigned int code, char const *enh, int more, char const *text, size_t textlen)
{
  char line[SMTP_REPLY_LINE_MAX] ;
  size_t len = 0 ;
  if (code < 200 || code > 599) code = 451 ;  /* never emit a malformed code */
  len = uint_fmt(line, code) ;
  line[len++] = more ? '-' : ' ' ;
  if (enh)
  {
    for (; *enh && len < 16 ; enh++) line[len++] = *enh ;
    line[len++] = ' ' ;
  }
  /* room for CR LF */
  for (size_t i = 0 ; i < textlen && len < SMTP_REPLY_LINE_MAX - 2 ; i++)
  {
    unsigned char c = (unsigned char)text[i] ;
    line[len++] = c < 32 || c == 127 ? '?' : (char)c ;
  }
  line[len++] = '\r' ;
  line[len++] = '\n' ;
  if (buffer_available(&o->b) < len && !smtp_out_flush(o)) return 0 ;
  buffer_putnoflush(&o->b, line, len) ;
  o->lastcode = code ;
  return 1 ;
}

int smtp_out_reply (smtp_out *o, unsigned int code, char const *enh, char const *text)
{
  size_t n = 0 ;
  while (text[n]) n++ ;
  return smtp_out_line(o, code, enh, 0, text, n) ;
}

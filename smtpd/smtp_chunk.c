/* ISC license. */

#include <stddef.h>
#include <stdint.h>

#include "smtp_data.h"

/* The reader's state: after a CR or not. Nothing else matters, since
 * a line begins after every CRLF and no byte is special at its start. */
enum
{
  ST_MID = 0,
  ST_CR
} ;

void smtp_chunk_init (smtp_data *d, uint64_t maxsize, size_t maxline)
{
  d->maxsize = maxsize ;
  d->size = 0 ;
  d->maxline = maxline ;
  d->linelen = 0 ;
  d->state = ST_MID ;
  d->errors = 0 ;
  d->done = 0 ;
}

static inline void emit (smtp_data *d, char c, char *out, size_t *w)
{
  if (++d->size > d->maxsize) d->errors |= SMTP_DATA_TOOBIG ;
  if (!d->errors) out[(*w)++] = c ;
}

size_t smtp_chunk_feed (smtp_data *d, char const *in, size_t inlen, char *out)
{
  size_t w = 0 ;
  for (size_t i = 0 ; i < inlen ; i++)
  {
    char c = in[i] ;
    if (d->state == ST_CR)
    {
      d->state = ST_MID ;
      if (c == '\n')
      {
        emit(d, '\n', out, &w) ;
        d->linelen = 0 ;
        continue ;
      }
      d->errors |= SMTP_DATA_BARECR ;
    }
    switch (c)
    {
      case '\r' : d->state = ST_CR ; break ;
      case '\n' : d->errors |= SMTP_DATA_BARELF ; d->linelen = 0 ; break ;
      case '\0' : d->errors |= SMTP_DATA_NUL ; break ;
      default :
        if (++d->linelen > d->maxline) d->errors |= SMTP_DATA_LONGLINE ;
        emit(d, c, out, &w) ;
        break ;
    }
  }
  return w ;
}

void smtp_chunk_end (smtp_data *d)
{
  if (d->state == ST_CR) d->errors |= SMTP_DATA_BARECR ;
  d->state = ST_MID ;
  d->done = 1 ;
}

/* ISC license. */

#include <stddef.h>
#include <stdint.h>

#include "smtp_data.h"

/* Where we are in the client's byte stream. Only ST_BOL is a real
 * beginning of line: it is entered after CR LF, never after a bare LF or
 * a bare CR, which is what makes smuggled end-of-data markers inert. */
enum
{
  ST_BOL = 0,  /* after CR LF (or the DATA command) */
  ST_DOT,      /* "." at the beginning of a line */
  ST_DOTCR,    /* ".\r" at the beginning of a line */
  ST_MID,      /* inside a line */
  ST_CR        /* a CR inside a line or at its beginning */
} ;

void smtp_data_init (smtp_data *d, uint64_t maxsize, size_t maxline)
{
  d->maxsize = maxsize ;
  d->size = 0 ;
  d->maxline = maxline ;
  d->linelen = 0 ;
  d->state = ST_BOL ;
  d->errors = 0 ;
  d->done = 0 ;
}

static inline void emit (smtp_data *d, char c, char *out, size_t *w)
{
  if (++d->size > d->maxsize) d->errors |= SMTP_DATA_TOOBIG ;
  if (!d->errors) out[(*w)++] = c ;
}

/* A byte inside a line. */
static inline void mid (smtp_data *d, char c, char *out, size_t *w)
{
  switch (c)
  {
    case '\r' : d->state = ST_CR ; break ;
    case '\n' :
      /* Stays ST_MID: a bare LF does not begin a line. */
      d->errors |= SMTP_DATA_BARELF ;
      d->state = ST_MID ;
      d->linelen = 0 ;
      break ;
    case '\0' :
      d->errors |= SMTP_DATA_NUL ;
      d->state = ST_MID ;
      break ;
    default :
      d->state = ST_MID ;
      if (++d->linelen > d->maxline) d->errors |= SMTP_DATA_LONGLINE ;
      emit(d, c, out, w) ;
      break ;
  }
}

size_t smtp_data_feed (smtp_data *d, char const *in, size_t inlen, char *out, size_t *outlen)
{
  size_t i = 0 ;
  size_t w = 0 ;
  while (i < inlen && !d->done)
  {
    char c = in[i++] ;
    switch (d->state)
    {
      case ST_BOL :
        if (c == '.') d->state = ST_DOT ;
        else mid(d, c, out, &w) ;
        break ;
      case ST_DOT :
        /* RFC 5321 4.5.2: a leading dot followed by more characters is
         * deleted; ".\r" may still become the end of data. */
        if (c == '\r') d->state = ST_DOTCR ;
        else mid(d, c, out, &w) ;
        break ;
      case ST_DOTCR :
        if (c == '\n') d->done = 1 ;
        else
        {
          /* ".\r" then something else: the CR was bare, and the dot
           * was a stuffing dot. */
          d->errors |= SMTP_DATA_BARECR ;
          mid(d, c, out, &w) ;
        }
        break ;
      case ST_CR :
        if (c == '\n')
        {
          emit(d, '\n', out, &w) ;
          d->linelen = 0 ;
          d->state = ST_BOL ;
        }
        else
        {
          d->errors |= SMTP_DATA_BARECR ;
          mid(d, c, out, &w) ;
        }
        break ;
      default : /* ST_MID */
        mid(d, c, out, &w) ;
        break ;
    }
  }
  *outlen = w ;
  return i ;
}

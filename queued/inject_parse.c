/* ISC license. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queued/inject_parse.h"

#define ST_LEN 0
#define ST_DATA 1
#define ST_COMMA 2

#define PH_ENVELOPE 0
#define PH_MESSAGE 1
#define PH_FAILED 2

static void reset_message (injparse *p)
{
  p->size = 0 ;
  p->want = 0 ;
  p->num = 0 ;
  p->ndigits = 0 ;
  p->nrcpt = 0 ;
  p->phase = PH_ENVELOPE ;
  p->state = ST_LEN ;
  p->started = 0 ;
  p->havesender = 0 ;
  p->prevtag = 0 ;
  p->flen = 0 ;
}

void injparse_init (injparse *p, uint64_t sizemax)
{
  p->sizemax = sizemax ;
  reset_message(p) ;
}

static int fail (injparse *p, injevent *ev, char const *text)
{
  p->phase = PH_FAILED ;
  ev->type = INJ_ERROR ;
  ev->tag = 0 ;
  ev->s = text ;
  ev->len = strlen(text) ;
  return INJ_ERROR ;
}

/* The netstring length is known: check it against the limits at once, so
 * an oversized field or message is refused before its bytes arrive. */
static int length_ok (injparse *p, injevent *ev)
{
  if (p->phase == PH_ENVELOPE)
  {
    if (p->num > INJ_FIELD_MAX + 1) return !fail(p, ev, "5.5.4 envelope field too long") ;
  }
  else
  {
    if (p->num > INJ_CHUNK_MAX) return !fail(p, ev, "5.5.2 message netstring too long") ;
    if (p->sizemax && p->size + p->num > p->sizemax) return !fail(p, ev, "5.3.4 message too big") ;
  }
  return 1 ;
}

/* A whole envelope netstring (p->field[0..p->flen)) has arrived. */
static int envelope_field (injparse *p, injevent *ev)
{
  char tag ;
  if (!p->flen)
  {
    if (!p->havesender) return fail(p, ev, "5.5.1 no sender in envelope") ;
    if (!p->nrcpt) return fail(p, ev, "5.5.1 no recipients in envelope") ;
    p->phase = PH_MESSAGE ;
    ev->type = INJ_ENVEND ;
    ev->tag = 0 ; ev->s = 0 ; ev->len = 0 ;
    return INJ_ENVEND ;
  }
  tag = p->field[0] ;
  if (memchr(p->field + 1, 0, p->flen - 1)) return fail(p, ev, "5.5.4 NUL byte in envelope field") ;
  if (!p->havesender && tag != 'F') return fail(p, ev, "5.5.1 envelope must start with the sender") ;
  switch (tag)
  {
    case 'F' :
      if (p->havesender) return fail(p, ev, "5.5.1 duplicate sender in envelope") ;
      p->havesender = 1 ;
      break ;
    case 'T' :
      if (p->flen == 1) return fail(p, ev, "5.1.3 empty recipient address") ;
      if (p->nrcpt >= INJ_RCPT_MAX) return fail(p, ev, "5.5.3 too many recipients") ;
      p->nrcpt++ ;
      break ;
    case 'N' :
      if (p->prevtag != 'T' && p->prevtag != 'N') return fail(p, ev, "5.5.1 recipient parameter without recipient") ;
      break ;
    case 'M' : case 'H' : case 'C' : case 'U' : case 'P' : case 'X' :
      break ;
    default :
      return fail(p, ev, "5.5.4 unknown envelope field") ;
  }
  p->prevtag = tag ;
  ev->type = INJ_FIELD ;
  ev->tag = tag ;
  ev->s = p->field + 1 ;
  ev->len = p->flen - 1 ;
  return INJ_FIELD ;
}

size_t injparse_feed (injparse *p, char const *s, size_t len, injevent *ev)
{
  size_t i = 0 ;
  ev->type = INJ_NEED ;
  ev->tag = 0 ; ev->s = 0 ; ev->len = 0 ;
  if (p->phase == PH_FAILED)
  {
    fail(p, ev, "5.5.2 protocol error") ;
    return 0 ;
  }
  while (i < len)
  {
    char c = s[i] ;
    switch (p->state)
    {
      case ST_LEN :
        p->started = 1 ;
        if (c == ':')
        {
          i++ ;
          if (!p->ndigits) { fail(p, ev, "5.5.2 bad netstring") ; return i ; }
          p->want = p->num ;
          p->flen = 0 ;
          p->state = p->num ? ST_DATA : ST_COMMA ;
          break ;
        }
        if (c < '0' || c > '9' || (p->ndigits == 1 && !p->num))
        {
          fail(p, ev, "5.5.2 bad netstring") ;
          return i + 1 ;
        }
        i++ ;
        p->num = p->num * 10 + (size_t)(c - '0') ;
        p->ndigits++ ;
        /* The final length is at least this prefix: refuse as soon as it
         * is over a limit, which also stops runaway digit strings. */
        if (!length_ok(p, ev)) return i ;
        break ;

      case ST_DATA :
      {
        size_t n = len - i < p->want ? len - i : p->want ;
        if (p->phase == PH_ENVELOPE)
        {
          memcpy(p->field + p->flen, s + i, n) ;
          p->flen += n ;
          i += n ;
          p->want -= n ;
          if (!p->want) p->state = ST_COMMA ;
          break ;
        }
        i += n ;
        p->want -= n ;
        p->size += n ;
        if (!p->want) p->state = ST_COMMA ;
        ev->type = INJ_DATA ;
        ev->s = s + i - n ;
        ev->len = n ;
        return i ;
      }

      case ST_COMMA :
        i++ ;
        if (c != ',') { fail(p, ev, "5.5.2 bad netstring") ; return i ; }
        p->state = ST_LEN ;
        p->ndigits = 0 ;
        if (p->phase == PH_ENVELOPE)
        {
          p->num = 0 ;
          envelope_field(p, ev) ;
          return i ;
        }
        if (!p->num)
        {
          reset_message(p) ;
          ev->type = INJ_MSGEND ;
          return i ;
        }
        p->num = 0 ;
        break ;
    }
  }
  return i ;
}

/* ISC license. */

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "sub_header.h"

enum
{
  ST_LINESTART = 0,  /* at the beginning of a line of the header section */
  ST_NAME,           /* holding what may be a field name */
  ST_PRECOLON,       /* holding a name and the white space after it */
  ST_FIELD,          /* inside a field's line */
  ST_BODY            /* the body: everything passes */
} ;

enum
{
  FIELD_NONE = 0,    /* no field yet: a continuation line cannot be one */
  FIELD_OTHER,
  FIELD_FROM
} ;

int sub_header_init (sub_header *h, char const *adddate, char const *addmsgid)
{
  if (strlen(adddate) + strlen(addmsgid) > SUB_HDR_ADD_MAX) return 0 ;
  h->state = ST_LINESTART ;
  h->field = FIELD_NONE ;
  h->holdlen = 0 ;
  h->adddate = adddate ;
  h->addmsgid = addmsgid ;
  h->fromlen = 0 ;
  h->nfrom = 0 ;
  h->has_date = h->has_msgid = h->fromtoolong = h->added = 0 ;
  return 1 ;
}

int sub_header_inbody (sub_header const *h)
{
  return h->state == ST_BODY ;
}

/* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 */
static int is_ftext (unsigned char c)
{
  return c >= 33 && c <= 126 && c != ':' ;
}

static void put (char const *s, size_t n, char *out, size_t *w)
{
  memcpy(out + *w, s, n) ;
  *w += n ;
}

/* The end of the header section: the missing fields go here, once. */
static void add_fields (sub_header *h, char *out, size_t *w)
{
  if (h->added) return ;
  h->added = 1 ;
  if (!h->has_date) put(h->adddate, strlen(h->adddate), out, w) ;
  if (!h->has_msgid) put(h->addmsgid, strlen(h->addmsgid), out, w) ;
}

/* Anything added since the message began? */
static int adds (sub_header const *h)
{
  return (!h->has_date && h->adddate[0]) || (!h->has_msgid && h->addmsgid[0]) ;
}

/* A line that is no field: the body begins with it. With fields to
 * add, they go before it, then an empty line. */
static void body_begins (sub_header *h, char *out, size_t *w)
{
  if (adds(h))
  {
    add_fields(h, out, w) ;
    out[(*w)++] = '\n' ;
  }
  h->added = 1 ;
  put(h->hold, h->holdlen, out, w) ;
  h->holdlen = 0 ;
  h->state = ST_BODY ;
}

static void keep_from (sub_header *h, char c)
{
  if (h->fromtoolong) return ;
  if (h->fromlen >= SUB_HDR_FROM_MAX) { h->fromtoolong = 1 ; return ; }
  h->from[h->fromlen++] = c ;
}

/* The held name followed by ':': a field. Which one? */
static void field_begins (sub_header *h, char *out, size_t *w)
{
  size_t n = h->holdlen ;
  while (n && (h->hold[n - 1] == ' ' || h->hold[n - 1] == '\t')) n-- ;
  h->field = FIELD_OTHER ;
  if (n == 4 && !strncasecmp(h->hold, "from", 4))
  {
    h->field = FIELD_FROM ;
    /* several From: fields (RFC 5322 allows one; each is checked) */
    if (h->nfrom++) keep_from(h, 0) ;
  }
  else if (n == 4 && !strncasecmp(h->hold, "date", 4)) h->has_date = 1 ;
  else if (n == 10 && !strncasecmp(h->hold, "message-id", 10)) h->has_msgid = 1 ;
  put(h->hold, h->holdlen, out, w) ;
  out[(*w)++] = ':' ;
  h->holdlen = 0 ;
  h->state = ST_FIELD ;
}

size_t sub_header_feed (sub_header *h, char const *in, size_t inlen, char *out)
{
  size_t w = 0 ;
  size_t i = 0 ;
  while (i < inlen)
  {
    unsigned char c = (unsigned char)in[i] ;
    switch (h->state)
    {
      case ST_BODY :
        put(in + i, inlen - i, out, &w) ;
        return w ;
      case ST_LINESTART :
        if (c == '\n')
        {
          /* the empty line: the fields go before it */
          add_fields(h, out, &w) ;
          out[w++] = '\n' ;
          h->state = ST_BODY ;
        }
        else if ((c == ' ' || c == '\t') && h->field != FIELD_NONE)
        {
          out[w++] = (char)c ;
          if (h->field == FIELD_FROM) keep_from(h, (char)c) ;
          h->state = ST_FIELD ;
        }
        else if (is_ftext(c))
        {
          h->hold[h->holdlen++] = (char)c ;
          h->state = ST_NAME ;
        }
        else
        {
          body_begins(h, out, &w) ;
          out[w++] = (char)c ;
        }
        break ;
      case ST_NAME :
      case ST_PRECOLON :
        if (c == ':') field_begins(h, out, &w) ;
        else if ((c == ' ' || c == '\t') && h->holdlen < SUB_HDR_HOLD_MAX)
        {
          h->hold[h->holdlen++] = (char)c ;
          h->state = ST_PRECOLON ;
        }
        else if (h->state == ST_NAME && is_ftext(c) && h->holdlen < SUB_HDR_HOLD_MAX)
          h->hold[h->holdlen++] = (char)c ;
        else
        {
          body_begins(h, out, &w) ;
          out[w++] = (char)c ;
        }
        break ;
      default : /* ST_FIELD */
      {
        /* the rest of the line at once */
        char const *lf = memchr(in + i, '\n', inlen - i) ;
        size_t n = lf ? (size_t)(lf - (in + i)) + 1 : inlen - i ;
        put(in + i, n, out, &w) ;
        if (h->field == FIELD_FROM)
          for (size_t k = 0 ; k < n ; k++) if (in[i + k] != '\n') keep_from(h, in[i + k]) ;  /* unfolded: RFC 5322 2.2.3 */
        if (lf) h->state = ST_LINESTART ;
        i += n ;
        continue ;
      }
    }
    i++ ;
  }
  return w ;
}

size_t sub_header_end (sub_header *h, char *out)
{
  size_t w = 0 ;
  switch (h->state)
  {
    case ST_LINESTART :
      /* all header, ending with its LF: the fields go at its end */
      add_fields(h, out, &w) ;
      break ;
    case ST_NAME :
    case ST_PRECOLON :
      /* a last line without ':' nor LF is no field */
      body_begins(h, out, &w) ;
      break ;
    case ST_FIELD :
      /* a last field without its LF (BDAT may end so): end the line
       * before adding anything */
      if (adds(h)) out[w++] = '\n' ;
      add_fields(h, out, &w) ;
      break ;
    default : break ;
  }
  h->state = ST_BODY ;
  h->added = 1 ;
  return w ;
}

/* ISC license. */

#include <string.h>
#include <strings.h>

#include <skalibs/stralloc.h>

#include "common/mime.h"
#include "common/rfc5322addr.h"
#include "spam.h"

/* Header sanity (RFC 5322 §3.6: Date and From are required, Message-ID
 * should be there): what mail written by a real mail program has and
 * bulk senders' scripts often lack. */

#define FIELD_MAX 65536       /* one field's value examined */
#define RCPT_FIELDS_MAX 100   /* To and Cc fields counted */

static int count_mailbox (rfc5322addr const *a, void *ctx)
{
  unsigned int *n = ctx ;
  if (a->at < a->len) (*n)++ ;
  return 1 ;
}

/* the value with its line breaks made spaces (a fold is white space) */
static int flat (stralloc *sa, char const *v, size_t vlen)
{
  if (vlen > FIELD_MAX) vlen = FIELD_MAX ;
  sa->len = 0 ;
  if (!stralloc_catb(sa, v, vlen)) return 0 ;
  for (size_t i = 0 ; i < sa->len ; i++) if (sa->s[i] == '\r' || sa->s[i] == '\n') sa->s[i] = ' ' ;
  return 1 ;
}

static int mailboxes (stralloc *sa, char const *v, size_t vlen, unsigned int *n)
{
  *n = 0 ;
  if (!flat(sa, v, vlen)) return -1 ;
  return rfc5322addr_parse(sa->s, sa->len, 0, &count_mailbox, n) ;
}

void spam_check_header (spam_settings const *set, spam *s)
{
  static stralloc sa = STRALLOC_ZERO ;
  char const *h = s->msg.s, *v ;
  size_t hlen = s->hlen, vlen ;
  unsigned int total = 0 ;

  if (!mime_header_get(h, hlen, "Date", 0, &v, &vlen)) spam_hit_add(s, "MISSING_DATE") ;
  else
  {
    int64_t t ;
    int tz ;
    if (!mime_parse_date(v, vlen > 256 ? 256 : vlen, &t, &tz)) spam_hit_add(s, "INVALID_DATE") ;
  }

  if (!mime_header_get(h, hlen, "Message-ID", 0, &v, &vlen)) spam_hit_add(s, "MISSING_MID") ;
  else
  {
    sa.len = 0 ;
    if (!mime_msgids(&sa, v, vlen > 1024 ? 1024 : vlen)) spam_hit_add(s, "MISSING_MID") ;
  }

  if (!mime_header_get(h, hlen, "Subject", 0, &v, &vlen)) spam_hit_add(s, "MISSING_SUBJECT") ;

  if (!mime_header_get(h, hlen, "From", 0, &v, &vlen)) spam_hit_add(s, "MISSING_FROM") ;
  else
  {
    unsigned int n ;
    if (mailboxes(&sa, v, vlen, &n) != 1 || !n || mime_header_get(h, hlen, "From", 1, &v, &vlen))
      spam_hit_add(s, "FROM_MALFORMED") ;   /* unparsable, no address, or two From fields (RFC 5322 §3.6: exactly one) */
  }

  /* one pass over the fields: a header of thousands of To fields is not
   * read a thousand times */
  {
    size_t pos = 0, nlen ;
    char const *name ;
    unsigned int fields = 0 ;
    while (fields < RCPT_FIELDS_MAX && mime_header_next(h, hlen, &pos, &name, &nlen, &v, &vlen))
    {
      unsigned int n ;
      if (!((nlen == 2 && !strncasecmp(name, "To", 2)) || (nlen == 2 && !strncasecmp(name, "Cc", 2)))) continue ;
      fields++ ;
      if (mailboxes(&sa, v, vlen, &n) >= 0) total += n ;
    }
  }
  if (total > set->many_rcpts) spam_hit_add(s, "MANY_RCPTS") ;
}

/* ISC license. */

#include "imapd/imap_parse-internal.h"

int imap_run (imap_cursor *c, int (*class) (unsigned char), char const **start, size_t *len)
{
  size_t i = c->pos ;
  while (i < c->len && (*class)((unsigned char)c->s[i])) i++ ;
  if (i == c->pos) return 0 ;
  *start = c->s + c->pos ;
  *len = i - c->pos ;
  c->pos = i ;
  return 1 ;
}

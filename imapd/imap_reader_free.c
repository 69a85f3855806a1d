/* ISC license. */

#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"

void imap_reader_free (imap_reader *r)
{
  stralloc_free(&r->cmd) ;
  r->literal_left = 0 ;
  r->scanned = 0 ;
  r->state = 0 ;
  r->want_continuation = 0 ;
  r->error = 0 ;
}

/* ISC license. */

#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_reader-internal.h"

/* Ready for the next command. A line being skipped (or its {n+} bytes)
 * stays skipped, and a connection that must close stays so. */
void imap_reader_reset (imap_reader *r)
{
  unsigned int phase = r->state & IMAP_RS_PHASE ;
  r->cmd.len = 0 ;
  r->scanned = 0 ;
  r->want_continuation = 0 ;
  if (phase == IMAP_RS_SKIPLINE || phase == IMAP_RS_SKIPLITERAL)
    r->state = phase | (r->state & IMAP_RS_CLOSE) ;
  else
  {
    r->state = r->state & IMAP_RS_CLOSE ;
    r->literal_left = 0 ;
  }
  if (!(r->state & IMAP_RS_CLOSE)) r->error = 0 ;
}

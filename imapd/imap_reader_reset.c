/* ISC license. */

#include <string.h>
#include <skalibs/stralloc.h>
#include "imapd/imap_parse.h"
#include "imapd/imap_reader-internal.h"

void imap_reader_clear (imap_reader *r)
{
  size_t from = r->cmd.len > IMAP_RS_TAIL ? r->cmd.len - IMAP_RS_TAIL : 0 ;
  if ((r->state & IMAP_RS_PHASE) != IMAP_RS_SKIPLINE) from = r->cmd.len ;
  else if (from < r->scanned) from = r->scanned <= r->cmd.len ? r->scanned : r->cmd.len ;
  memmove(r->cmd.s, r->cmd.s + from, r->cmd.len - from) ;
  r->cmd.len -= from ;
  r->scanned = 0 ;
}

/* Ready for the next command. A line being skipped (or its {n+} bytes)
 * stays skipped, and a connection that must close stays so. */
void imap_reader_reset (imap_reader *r)
{
  unsigned int phase = r->state & IMAP_RS_PHASE ;
  if (r->cmd.s) imap_reader_clear(r) ;
  else r->cmd.len = r->scanned = 0 ;
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

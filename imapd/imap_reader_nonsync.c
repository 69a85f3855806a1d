/* ISC license. */

#include "imapd/imap_parse.h"
#include "imapd/imap_reader-internal.h"

int imap_reader_nonsync (imap_reader const *r)
{
  return !!(r->state & IMAP_RS_NONSYNC) ;
}

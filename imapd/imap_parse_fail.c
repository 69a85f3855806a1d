/* ISC license. */

#include "imapd/imap_parse-internal.h"

int imap_fail (imap_cursor *c, char const *text)
{
  if (!c->error) c->error = text ;
  return 0 ;
}

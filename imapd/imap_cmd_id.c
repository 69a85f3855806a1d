/* ISC license. */

/* ID (RFC 2971): the client's fields are read (and logged when verbose),
 * ours are the name only: a version helps attackers more than clients. */

#include <skalibs/stralloc.h>
#include "common/log.h"
#include "imapd/imap_session-internal.h"

int imap_cmd_id (imap_session *s, imap_cursor *c, char const *tag, int uid)
{
  stralloc *sa = &s->out ;
  (void)uid ;
  sa->len = 0 ;
  if (!imap_sp(c)) return imap_bad(s, tag, c) ;
  if (!imap_try_word(c, "NIL"))
  {
    unsigned int n = 0 ;
    if (!imap_lparen(c)) return imap_bad(s, tag, c) ;
    while (imap_peek(c) != ')')
    {
      int isnil ;
      if (n && !imap_sp(c)) return imap_bad(s, tag, c) ;
      if (++n > IMAP_ID_PAIRS_MAX) { c->error = "Too many ID fields" ; return imap_bad(s, tag, c) ; }
      sa->len = 0 ;
      if (!imap_string(c, sa) || !imap_sp(c) || !imap_nstring(c, sa, &isnil)) return imap_bad(s, tag, c) ;
    }
    if (!imap_rparen(c)) return imap_bad(s, tag, c) ;
  }
  if (!imap_end(c)) return imap_bad(s, tag, c) ;
  return imap_untagged(s, "ID (\"name\" \"posthaste\")") && imap_done(s, tag, "OK ID completed") ;
}

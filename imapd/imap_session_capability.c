/* ISC license. */

/* The post-login capability list. AUTH= and LOGINDISABLED belong to the
 * pre-auth half; COMPRESS=DEFLATE is dropped once compression is on
 * (RFC 4978 §3: a second COMPRESS would fail). */

#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "imapd/imap_session-internal.h"

static stralloc cap = STRALLOC_ZERO ;

char const *imap_capability (imap_session const *s)
{
  char fmt[UINT64_FMT] ;
  cap.len = 0 ;
  if (!stralloc_cats(&cap, "IMAP4rev1 IMAP4rev2 LITERAL+ ENABLE IDLE NAMESPACE UIDPLUS MOVE ID UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES BINARY CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE APPENDLIMIT=")
   || !stralloc_catb(&cap, fmt, uint64_fmt(fmt, s->appendlimit))
   || !stralloc_cats(&cap, " UTF8=ACCEPT SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES STATUS=SIZE")
   || (!imap_sio.compress && !stralloc_cats(&cap, " COMPRESS=DEFLATE"))
   || !stralloc_0(&cap))
    return "IMAP4rev1" ;
  return cap.s ;
}

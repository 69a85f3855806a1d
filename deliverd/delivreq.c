/* ISC license. */

#include <string.h>

#include "common/maildir.h"
#include "reqhead.h"
#include "delivreq.h"

 /* After the head (reqhead.h): the recipient, then X fields. */

#define FAIL(reason) do { *why = (reason) ; return 0 ; } while (0)

int delivreq_parse (char const *s, size_t len, delivreq *req, char const **why)
{
  reqhead h ;
  size_t pos ;
  unsigned int nx = 0 ;
  req->folder = 0 ;
  if (!reqhead_parse(s, len, DELIVREQ_MAX, &h, why)) return 0 ;
  req->qid = h.qid ;
  req->sender = h.sender ;
  pos = h.pos ;
  if (pos >= len) FAIL("missing field") ;
  {
    char const *f = s + pos ;
    size_t flen = strlen(f) ;   /* bounded: s[len-1] is NUL */
    pos += flen + 1 ;
    if (!flen) FAIL("empty field") ;
    if (f[0] != 'T') FAIL("third field is not T") ;
    if (flen < 2 || !reqhead_addr_valid(f + 1, flen - 1)) FAIL("invalid recipient") ;
    req->rcpt = f + 1 ;
  }
  while (pos < len)
  {
    char const *f = s + pos ;
    size_t flen = strlen(f) ;
    pos += flen + 1 ;
    if (!flen) FAIL("empty field") ;
    if (f[0] != 'X') FAIL("unknown field") ;
    if (flen > DELIVREQ_XFIELD_MAX) FAIL("X field too long") ;
    if (++nx > DELIVREQ_XFIELDS_MAX) FAIL("too many X fields") ;
    if (flen >= 8 && !memcmp(f, "XFOLDER=", 8))
    {
      if (!maildir_folder_valid(f + 8, flen - 8)) FAIL("invalid XFOLDER") ;
      req->folder = f + 8 ;
    }
  }
  return 1 ;
}

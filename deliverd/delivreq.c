/* ISC license. */

#include <string.h>

#include "common/maildir.h"
#include "delivreq.h"

 /* queued is trusted (its uid was checked) but its requests are still
    checked byte by byte: a sender or recipient goes into a header line,
    so no control byte may pass, and every length is bounded. */

static int printable (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0 ;
  return 1 ;
}

static int qid_valid (char const *s, size_t len)
{
  if (len < 12 || len > 24) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return 0 ;
  }
  return 1 ;
}

#define FAIL(reason) do { *why = (reason) ; return 0 ; } while (0)

int delivreq_parse (char const *s, size_t len, delivreq *req, char const **why)
{
  size_t pos = 0 ;
  unsigned int n = 0 ;
  unsigned int nx = 0 ;
  req->folder = 0 ;
  if (!len) FAIL("empty request") ;
  if (len > DELIVREQ_MAX) FAIL("request too long") ;
  if (s[len - 1]) FAIL("request does not end with NUL") ;
  while (pos < len)
  {
    char const *f = s + pos ;
    size_t flen = strlen(f) ;   /* bounded: s[len-1] is NUL */
    pos += flen + 1 ;
    if (!flen) FAIL("empty field") ;
    switch (n++)
    {
      case 0 :
        if (f[0] != 'I') FAIL("first field is not I") ;
        if (!qid_valid(f + 1, flen - 1)) FAIL("invalid queue id") ;
        req->qid = f + 1 ;
        break ;
      case 1 :
        if (f[0] != 'F') FAIL("second field is not F") ;
        if (flen - 1 > DELIVREQ_ADDR_MAX || !printable(f + 1, flen - 1)) FAIL("invalid sender") ;
        req->sender = f + 1 ;
        break ;
      case 2 :
        if (f[0] != 'T') FAIL("third field is not T") ;
        if (flen < 2 || flen - 1 > DELIVREQ_ADDR_MAX || !printable(f + 1, flen - 1)) FAIL("invalid recipient") ;
        req->rcpt = f + 1 ;
        break ;
      default :
        if (f[0] != 'X') FAIL("unknown field") ;
        if (flen > DELIVREQ_XFIELD_MAX) FAIL("X field too long") ;
        if (++nx > DELIVREQ_XFIELDS_MAX) FAIL("too many X fields") ;
        if (flen >= 8 && !memcmp(f, "XFOLDER=", 8))
        {
          if (!maildir_folder_valid(f + 8, flen - 8)) FAIL("invalid XFOLDER") ;
          req->folder = f + 8 ;
        }
        break ;
    }
  }
  if (n < 3) FAIL("missing field") ;
  return 1 ;
}

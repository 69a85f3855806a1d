/* ISC license. */

#include <string.h>

#include "reqhead.h"

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

int reqhead_parse (char const *s, size_t len, size_t max, reqhead *h, char const **why)
{
  size_t pos = 0 ;
  if (!len) FAIL("empty request") ;
  if (len > max) FAIL("request too long") ;
  if (s[len - 1]) FAIL("request does not end with NUL") ;
  for (unsigned int n = 0 ; n < 2 ; n++)
  {
    char const *f = s + pos ;
    size_t flen ;
    if (pos >= len) FAIL("missing field") ;
    flen = strlen(f) ;   /* bounded: s[len-1] is NUL */
    pos += flen + 1 ;
    if (!flen) FAIL("empty field") ;
    if (!n)
    {
      if (f[0] != 'I') FAIL("first field is not I") ;
      if (!qid_valid(f + 1, flen - 1)) FAIL("invalid queue id") ;
      h->qid = f + 1 ;
    }
    else
    {
      if (f[0] != 'F') FAIL("second field is not F") ;
      if (!reqhead_addr_valid(f + 1, flen - 1)) FAIL("invalid sender") ;
      h->sender = f + 1 ;
    }
  }
  h->pos = pos ;
  return 1 ;
}

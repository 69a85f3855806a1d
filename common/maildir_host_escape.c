/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>

#include "common/maildir.h"

 /* The Maildir spec (cr.yp.to/proto/maildir.html) replaces '/' by \057
    and ':' by \072 in the host part of a name; Dovecot does the same. We
    also escape ',' (Dovecot reads ",S=" and ",W=" after the host), '\'
    (so the escaping stays unambiguous) and anything not printable ASCII. */

static int needs_escape (unsigned char c)
{
  return c == '/' || c == ':' || c == ',' || c == '\\' || c < 0x21 || c > 0x7e ;
}

int maildir_host_escape (char const *host, stralloc *sa)
{
  size_t base = sa->len ;
  size_t n = strlen(host) ;
  if (!n) { host = "localhost" ; n = 9 ; }
  for (size_t i = 0 ; i < n ; i++)
  {
    unsigned char c = host[i] ;
    if (needs_escape(c))
    {
      char oct[4] = { '\\', '0' + (c >> 6), '0' + ((c >> 3) & 7), '0' + (c & 7) } ;
      if (!stralloc_catb(sa, oct, 4)) goto err ;
    }
    else if (!stralloc_catb(sa, (char const *)&c, 1)) goto err ;
    if (sa->len - base > MAILDIR_HOST_MAX)
    {
       /* Host names are at most 253 bytes, escapes make them longer:
          keep the file name short by cutting before the last character
          (never inside an escape). Uniqueness does not rest on it. */
      sa->len -= needs_escape(c) ? 4 : 1 ;
      break ;
    }
  }
  if (!stralloc_0(sa)) goto err ;
  return 1 ;
 err:
  sa->len = base ;
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>

#include "common/authclient-internal.h"

/* Dovecot's str_tabescape(): 0x01 is the escape byte, so it is escaped
 * first of all; TAB, CR and LF would otherwise end a field or a line. */

int authclient_escape_cat (stralloc *sa, char const *s, size_t len)
{
  size_t start = 0 ;
  if (memchr(s, 0, len)) return (errno = EINVAL, 0) ;
  if (!stralloc_readyplus(sa, len)) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char pair[2] = { 1, 0 } ;
    switch (s[i])
    {
      case 1 : pair[1] = '1' ; break ;
      case '\t' : pair[1] = 't' ; break ;
      case '\r' : pair[1] = 'r' ; break ;
      case '\n' : pair[1] = 'n' ; break ;
      default : continue ;
    }
    if (!stralloc_catb(sa, s + start, i - start) || !stralloc_catb(sa, pair, 2)) return 0 ;
    start = i + 1 ;
  }
  return stralloc_catb(sa, s + start, len - start) ;
}

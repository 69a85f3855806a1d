/* ISC license. */

/* LIST pattern matching (RFC 9051 §6.3.9): '*' matches anything, '%'
 * anything but the hierarchy delimiter. A set of reachable name
 * positions is carried along the pattern, so the cost is bounded by
 * pattern length times name length, whatever the wildcards. "INBOX" at
 * the start of the name compares case-insensitively (RFC 9051 §5.1). */

#include <string.h>
#include "imapd/imap_parse.h"

#define NAME_LIMIT 4096

static int same (char p, char n, size_t at, int inbox)
{
  if (p == n) return 1 ;
  if (inbox && at < 5)
  {
    if (p >= 'a' && p <= 'z') p = p - 'a' + 'A' ;
    return p == n ;
  }
  return 0 ;
}

int imap_list_match (char const *pattern, char const *name, char delim)
{
  unsigned char reach[NAME_LIMIT + 1] ;
  size_t nlen = strlen(name), i ;
  int inbox = !strncmp(name, "INBOX", 5) && (!name[5] || name[5] == delim) ;
  if (nlen > NAME_LIMIT) return 0 ;
  memset(reach, 0, nlen + 1) ;
  reach[0] = 1 ;
  for (; *pattern ; pattern++)
  {
    char p = *pattern ;
    if (p == '*' || p == '%')
    {
      /* a position stays reachable, and so is every later one up to
       * (for '%') the next delimiter */
      int on = 0 ;
      for (i = 0 ; i <= nlen ; i++)
      {
        if (reach[i]) on = 1 ;
        else if (on) reach[i] = 1 ;
        if (p == '%' && i < nlen && name[i] == delim) on = 0 ;
      }
    }
    else
    {
      int any = 0 ;
      for (i = nlen ; i > 0 ; i--)
      {
        reach[i] = reach[i - 1] && same(p, name[i - 1], i - 1, inbox) ;
        any |= reach[i] ;
      }
      reach[0] = 0 ;
      if (!any) return 0 ;
    }
  }
  return reach[nlen] ;
}

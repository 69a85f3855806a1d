/* ISC license. */

#include <errno.h>
#include <strings.h>

#include "common/addr-internal.h"

/* RFC 5321 4.1.2:
 *   Reverse-path = Path / "<>"
 *   Path         = "<" [ A-d-l ":" ] Mailbox ">"
 *   A-d-l        = At-domain *( "," At-domain )
 *   At-domain    = "@" Domain
 * The source route is checked and dropped (4.1.2 and appendix C: it
 * "SHOULD" be ignored). 4.5.1: "Postmaster" without a domain must be
 * accepted as a recipient, case-insensitively; ADDR_POSTMASTER_OK lets
 * the caller allow it where it applies. Whatever follows the '>' (ESMTP
 * parameters) is the caller's. */

static void set_special (mailaddr *a, char const *s, size_t n)
{
  size_t i = 0 ;
  for (; i < n ; i++) a->s[i] = s[i] ;
  a->s[n] = 0 ;
  a->len = n ;
  a->at = n ;
  a->utf8 = 0 ;
  a->literal = 0 ;
}

size_t addr_parse_path (char const *s, size_t len, mailaddr *a, unsigned int flags)
{
  size_t i = 1 ;
  size_t n ;
  if (!len || s[0] != '<') return (errno = EINVAL, 0) ;
  if (len >= 2 && s[1] == '>')
  {
    if (!(flags & ADDR_EMPTY_OK)) return (errno = EINVAL, 0) ;
    set_special(a, "", 0) ;
    return 2 ;
  }
  if (len >= 12 && s[11] == '>' && !strncasecmp(s + 1, "postmaster", 10))
  {
    if (!(flags & ADDR_POSTMASTER_OK)) return (errno = EINVAL, 0) ;
    set_special(a, "Postmaster", 10) ;
    return 12 ;
  }
  if (i < len && s[i] == '@')
  {
    for (;;)
    {
      i++ ;  /* the '@' */
      n = addr_scan_domain(s + i, len - i, flags) ;
      if (!n) return 0 ;
      i += n ;
      if (i < len && s[i] == ',')
      {
        i++ ;
        if (i >= len || s[i] != '@') return (errno = EINVAL, 0) ;
        continue ;
      }
      if (i < len && s[i] == ':') { i++ ; break ; }
      return (errno = EINVAL, 0) ;
    }
  }
  n = addr_scan_mailbox(s + i, len - i, a, flags) ;
  if (!n) return 0 ;
  i += n ;
  if (i >= len || s[i] != '>') return (errno = EINVAL, 0) ;
  return i + 1 ;
}

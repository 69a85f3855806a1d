/* ISC license. */

#include <string.h>

#include "queued/qreply.h"

int qreply_parse (char const *s, size_t len, qreply *r)
{
  size_t pos = 0 ;
  r->nadds = 0 ;
  r->adds = s ;
  r->addslen = 0 ;
  if (!len || s[len - 1]) return 0 ;
  while (pos < len)
  {
    size_t n = strlen(s + pos) ;
    if (!n) return 0 ;
    switch (s[pos])
    {
      case 'R' :
        if (n == 1 || n - 1 > QREPLY_ADDR_MAX || r->nadds >= QREPLY_ADDS_MAX) return 0 ;
        r->nadds++ ;
        pos += n + 1 ;
        r->addslen = pos ;
        break ;
      case 'K' : case 'Z' : case 'D' :
        if (pos + n + 1 != len) return 0 ;   /* the verdict comes last */
        r->kind = s[pos] ;
        r->text = s + pos + 1 ;
        return 1 ;
      default :
        return 0 ;
    }
  }
  return 0 ;   /* no verdict */
}

char const *qreply_next_add (qreply const *r, size_t *pos, size_t *alen)
{
  char const *a ;
  if (*pos >= r->addslen) return 0 ;
  a = r->adds + *pos + 1 ;
  *alen = strlen(a) ;
  *pos += *alen + 2 ;
  return a ;
}

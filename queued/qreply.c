/* ISC license. */

#include <string.h>

#include "queued/qreply.h"

int qreply_parse (char const *s, size_t len, unsigned int n, qverdict *v)
{
  size_t pos = 0 ;
  unsigned int done = 0, nadds = 0, nx = 0 ;
  size_t start = 0 ;
  if (!n || !len || s[len - 1]) return 0 ;
  v[0].nadds = 0 ;
  v[0].remotemta = v[0].diag = v[0].action = 0 ;
  while (pos < len)
  {
    size_t k = strlen(s + pos) ;   /* bounded: s[len - 1] is NUL */
    char const *f = s + pos ;
    if (!k || done >= n) return 0 ;
    switch (f[0])
    {
      case 'R' :
        if (k == 1 || k - 1 > QREPLY_ADDR_MAX || ++nadds > QREPLY_ADDS_MAX) return 0 ;
        v[done].nadds++ ;
        break ;
      case 'X' :
        if (k > QREPLY_X_MAX || ++nx > QREPLY_XS_MAX || !memchr(f, '=', k)) return 0 ;
        if (!strncmp(f, "XREMOTEMTA=", 11)) v[done].remotemta = f + 11 ;
        else if (!strncmp(f, "XDIAG=", 6)) v[done].diag = f + 6 ;
        else if (!strncmp(f, "XACTION=", 8)) v[done].action = f + 8 ;
        break ;
      case 'K' : case 'Z' : case 'D' :
        v[done].kind = f[0] ;
        v[done].text = f + 1 ;
        v[done].fields = s + start ;
        v[done].fieldslen = pos - start ;
        start = pos + k + 1 ;
        if (++done < n)
        {
          v[done].nadds = 0 ;
          v[done].remotemta = v[done].diag = v[done].action = 0 ;
        }
        break ;
      default :
        return 0 ;
    }
    pos += k + 1 ;
  }
  return done == n && start == len ;
}

char const *qreply_next_add (qverdict const *v, size_t *pos, size_t *alen)
{
  while (*pos < v->fieldslen)
  {
    char const *f = v->fields + *pos ;
    size_t k = strlen(f) ;
    *pos += k + 1 ;
    if (f[0] == 'R')
    {
      *alen = k - 1 ;
      return f + 1 ;
    }
  }
  return 0 ;
}

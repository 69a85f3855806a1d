/* ISC license. */

#include <string.h>

#include "common/spf-internal.h"

int spf_failn (spf_ctx *c, int result, char const *why, char const *what, size_t m)
{
  if (!c->problem[0])
  {
    size_t n = strlen(why) ;
    if (n > SPF_TEXT_MAX - 1) n = SPF_TEXT_MAX - 1 ;
    memcpy(c->problem, why, n) ;
    if (m && n + 2 < SPF_TEXT_MAX)
    {
      c->problem[n++] = ':' ;
      c->problem[n++] = ' ' ;
      if (m > SPF_TEXT_MAX - 1 - n) m = SPF_TEXT_MAX - 1 - n ;
      for (size_t i = 0 ; i < m ; i++)
      {
        unsigned char ch = what[i] ;
        c->problem[n++] = ch < 0x20 || ch >= 0x7f ? '?' : ch ;
      }
    }
    c->problem[n] = 0 ;
  }
  c->error = result ;
  return result ;
}

int spf_fail (spf_ctx *c, int result, char const *why, char const *what)
{
  return spf_failn(c, result, why, what, what ? strlen(what) : 0) ;
}

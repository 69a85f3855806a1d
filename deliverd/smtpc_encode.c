/* ISC license. */

#include <stdint.h>

#include <skalibs/stralloc.h>

#include "smtpc.h"

 /* The queue holds LF-terminated lines (docs/internals.md, Injection);
    SMTP wants CR LF and nothing bare (RFC 5321 2.3.8), and a leading
    '.' doubled inside DATA (4.5.2). Output is built in runs: plain bytes
    are copied in one go between the points where something is added. */

static int put (stralloc *out, uint64_t *count, char const *s, size_t len)
{
  if (count) *count += len ;
  return !out || !len || stralloc_catb(out, s, len) ;
}

int smtpc_encode (smtpc_enc *e, char const *s, size_t len, stralloc *out, uint64_t *count)
{
  size_t run = 0 ;   /* start of the plain bytes not yet copied */
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (e->cr)
    {
      e->cr = 0 ;
      if (!put(out, count, "\r\n", 2)) return 0 ;
      e->bol = 1 ;
      if (c == '\n') { run = i + 1 ; continue ; }
    }
    if (c == '\r' || c == '\n')
    {
      if (!put(out, count, s + run, i - run)) return 0 ;
      run = i + 1 ;
      if (c == '\r') { e->cr = 1 ; continue ; }
      if (!put(out, count, "\r\n", 2)) return 0 ;
      e->bol = 1 ;
      continue ;
    }
    if (e->bol)
    {
      e->bol = 0 ;
      if (c == '.' && e->dotstuff)
      {
        if (!put(out, count, s + run, i - run) || !put(out, count, ".", 1)) return 0 ;
        run = i ;
      }
    }
  }
  return put(out, count, s + run, len - run) ;
}

int smtpc_encode_end (smtpc_enc *e, stralloc *out, uint64_t *count)
{
  if (e->cr || !e->bol)
  {
    e->cr = 0 ;
    e->bol = 1 ;
    return put(out, count, "\r\n", 2) ;
  }
  return 1 ;
}

/* ISC license. */

#include <stdint.h>

#include <skalibs/stralloc.h>

#include "smtpc.h"

 /* The queue holds LF-terminated lines (docs/internals.md, Injection);
    SMTP wants CR LF and nothing bare (RFC 5321 2.3.8), a leading '.'
    doubled inside DATA (4.5.2), and no line over 998 octets (RFC 5322
    2.1.1): a longer one is broken with CR LF SPACE, Postfix's way
    (smtp_line_length_limit), which keeps a header field one field (the
    rest is a continuation line) and a MIME body readable. Output is
    built in runs: plain bytes are copied in one go between the points
    where something is added. */

static int put (stralloc *out, uint64_t *count, char const *s, size_t len)
{
  if (count) *count += len ;
  return !out || !len || stralloc_catb(out, s, len) ;
}

static int line_end (smtpc_enc *e, stralloc *out, uint64_t *count)
{
  e->bol = 1 ;
  e->col = 0 ;
  e->broken = 0 ;
  return put(out, count, "\r\n", 2) ;
}

 /* How many octets the character starting with c takes: a UTF-8 lead
    byte announces its sequence, so a break is not put inside one. */
static size_t width (unsigned char c)
{
  if (c >= 0xf0 && c <= 0xf7) return 4 ;
  if (c >= 0xe0) return c <= 0xef ? 3 : 1 ;
  if (c >= 0xc0) return 2 ;
  return 1 ;
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
      if (!line_end(e, out, count)) return 0 ;
      if (c == '\n') { run = i + 1 ; continue ; }
    }
    if (c == '\r' || c == '\n')
    {
      if (!put(out, count, s + run, i - run)) return 0 ;
      run = i + 1 ;
      if (c == '\r') { e->cr = 1 ; continue ; }
      if (!line_end(e, out, count)) return 0 ;
      continue ;
    }
    if (e->bol)
    {
      e->bol = 0 ;
      if (c == '.' && e->dotstuff)
      {
        if (!put(out, count, s + run, i - run) || !put(out, count, ".", 1)) return 0 ;
        run = i ;
        e->col++ ;
      }
    }
    if (e->limit && e->col + width((unsigned char)c) > e->limit)
    {
       /* the rest of the line goes on a continuation line; it starts
          with a space, so it is never dot-stuffed nor a lone "." */
      if (!put(out, count, s + run, i - run) || !put(out, count, "\r\n ", 3)) return 0 ;
      run = i ;
      e->col = 1 ;
      if (!e->broken) { e->broken = 1 ; e->longlines++ ; }
    }
    e->col++ ;
  }
  return put(out, count, s + run, len - run) ;
}

int smtpc_encode_end (smtpc_enc *e, stralloc *out, uint64_t *count)
{
  if (e->cr || !e->bol)
  {
    e->cr = 0 ;
    return line_end(e, out, count) ;
  }
  return 1 ;
}

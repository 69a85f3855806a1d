/* ISC license. */

/* Canonicalization, RFC 6376 §3.4. Input line breaks are LF or CRLF;
 * output is always CRLF. */

#include <stddef.h>
#include <string.h>

#include <skalibs/bytestr.h>

#include "common/dkim.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

/* Is there a line break (LF, or CR LF) at s[i]? Its length, or 0. */
static size_t linebreak (char const *s, size_t len, size_t i)
{
  if (s[i] == '\n') return 1 ;
  if (s[i] == '\r' && i + 1 < len && s[i+1] == '\n') return 2 ;
  return 0 ;
}

/* simple (§3.4.1): unchanged, but every line break is CRLF. */
static void header_simple (char const *f, size_t len, dkim_sink *put, void *ctx)
{
  size_t start = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    size_t lb = linebreak(f, len, i) ;
    if (!lb) continue ;
    if (i > start) (*put)(ctx, f + start, i - start) ;
    (*put)(ctx, "\r\n", 2) ;
    i += lb - 1 ;
    start = i + 1 ;
  }
  if (len > start) (*put)(ctx, f + start, len - start) ;
}

typedef struct hbuf_s hbuf ;
struct hbuf_s
{
  dkim_sink *put ;
  void *ctx ;
  size_t n ;
  char buf[256] ;
} ;

static void hput (hbuf *h, char c)
{
  h->buf[h->n++] = c ;
  if (h->n == sizeof(h->buf)) { (*h->put)(h->ctx, h->buf, h->n) ; h->n = 0 ; }
}

/* relaxed (§3.4.2): lower-case name, unfold, WSP runs to one SP, no WSP
 * at the end of the value nor around the colon. */
static void header_relaxed (char const *f, size_t len, dkim_sink *put, void *ctx)
{
  hbuf h = { .put = put, .ctx = ctx, .n = 0 } ;
  size_t colon = byte_chr(f, len, ':') ;
  size_t namelen = colon ;
  int wsp = 0, started = 0 ;
  while (namelen && IS_WSP(f[namelen-1])) namelen-- ;
  for (size_t i = 0 ; i < namelen ; i++) hput(&h, f[i] >= 'A' && f[i] <= 'Z' ? f[i] + ('a' - 'A') : f[i]) ;
  if (colon < len)
  {
    hput(&h, ':') ;
    for (size_t i = colon + 1 ; i < len ; i++)
    {
      size_t lb = linebreak(f, len, i) ;
      char c = f[i] ;
      if (lb) { i += lb - 1 ; continue ; }   /* unfolding */
      if (IS_WSP(c)) { wsp = 1 ; continue ; }
      if (wsp && started) hput(&h, ' ') ;
      wsp = 0 ;
      started = 1 ;
      hput(&h, c) ;
    }
  }
  if (h.n) (*put)(ctx, h.buf, h.n) ;
}

void dkim_canon_header (int canon, char const *field, size_t len, int crlf, dkim_sink *put, void *ctx)
{
  if (canon == DKIM_CANON_RELAXED) header_relaxed(field, len, put, ctx) ;
  else header_simple(field, len, put, ctx) ;
  if (crlf) (*put)(ctx, "\r\n", 2) ;
}

static void out (dkim_body *b, char const *s, size_t len)
{
  b->any = 1 ;
  while (len)
  {
    size_t room = sizeof(b->buf) - b->n ;
    size_t k = len < room ? len : room ;
    memcpy(b->buf + b->n, s, k) ;
    b->n += k ; s += k ; len -= k ;
    if (b->n == sizeof(b->buf)) { (*b->put)(b->ctx, b->buf, b->n) ; b->n = 0 ; }
  }
}

static void out1 (dkim_body *b, char c)
{
  b->any = 1 ;
  b->buf[b->n++] = c ;
  if (b->n == sizeof(b->buf)) { (*b->put)(b->ctx, b->buf, b->n) ; b->n = 0 ; }
}

void dkim_body_init (dkim_body *b, int canon, dkim_sink *put, void *ctx)
{
  b->put = put ;
  b->ctx = ctx ;
  b->empties = 0 ;
  b->relaxed = canon == DKIM_CANON_RELAXED ;
  b->cr = b->wsp = b->content = b->any = 0 ;
  b->n = 0 ;
}

/* First content of a line: the empty lines held back were not
 * trailing after all. */
static void content (dkim_body *b)
{
  if (b->content) return ;
  for (; b->empties ; b->empties--) out(b, "\r\n", 2) ;
  b->content = 1 ;
}

static void byte (dkim_body *b, char c)
{
  if (b->relaxed && IS_WSP(c)) { b->wsp = 1 ; return ; }
  if (b->relaxed)
  {
    if (b->wsp && b->content) out1(b, ' ') ;
    else if (b->wsp) { content(b) ; out1(b, ' ') ; }
    b->wsp = 0 ;
  }
  content(b) ;
  out1(b, c) ;
}

static void endline (dkim_body *b)
{
  if (b->content) out(b, "\r\n", 2) ;
  else b->empties++ ;   /* relaxed: a line of WSP only is empty too */
  b->content = 0 ;
  b->wsp = 0 ;
}

/* The bytes that end a run of ordinary ones. */
static unsigned char const stop_simple[256] = { ['\r'] = 1, ['\n'] = 1 } ;
static unsigned char const stop_relaxed[256] = { ['\r'] = 1, ['\n'] = 1, [' '] = 1, ['\t'] = 1 } ;

void dkim_body_update (dkim_body *b, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (b->cr)
    {
      b->cr = 0 ;
      if (c == '\n') { endline(b) ; continue ; }
      byte(b, '\r') ;
    }
    if (c == '\r') { b->cr = 1 ; continue ; }
    if (c == '\n') { endline(b) ; continue ; }
    byte(b, c) ;
    /* after a byte that went out, the rest of a run of ordinary bytes
       goes out as it is (a held-back WSP must wait for the next byte) */
    if (!(b->relaxed && IS_WSP(c)))
    {
      size_t j = i + 1 ;
      unsigned char const *stop = b->relaxed ? stop_relaxed : stop_simple ;
      while (j < len && !stop[(unsigned char)s[j]]) j++ ;
      if (j > i + 1) out(b, s + i + 1, j - i - 1) ;
      i = j - 1 ;
    }
  }
}

/* §3.4.3: simple: trailing empty lines go, an empty body is one CRLF.
 * §3.4.4: relaxed: trailing empty lines go, an empty body stays empty.
 * Both: content after the last line break gets a CRLF. */
void dkim_body_final (dkim_body *b)
{
  if (b->cr) { b->cr = 0 ; byte(b, '\r') ; }
  if (b->content) out(b, "\r\n", 2) ;
  b->content = 0 ;
  b->empties = 0 ;
  if (!b->relaxed && !b->any) out(b, "\r\n", 2) ;
  if (b->n) (*b->put)(b->ctx, b->buf, b->n) ;
  b->n = 0 ;
}

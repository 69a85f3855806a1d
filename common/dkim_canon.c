/* ISC license. */

/* Canonicalization, RFC 6376 §3.4. Input line breaks are LF or CRLF;
 * output is always CRLF. */

#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <skalibs/bytestr.h>

#include "common/dkim.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

/* The bytes that end a run of ordinary ones. */
static unsigned char const stop_simple[256] = { ['\r'] = 1, ['\n'] = 1 } ;
static unsigned char const stop_relaxed[256] = { ['\r'] = 1, ['\n'] = 1, [' '] = 1, ['\t'] = 1 } ;

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

static void hputs (hbuf *h, char const *s, size_t len)
{
  while (len)
  {
    size_t k = sizeof(h->buf) - h->n < len ? sizeof(h->buf) - h->n : len ;
    memcpy(h->buf + h->n, s, k) ;
    h->n += k ; s += k ; len -= k ;
    if (h->n == sizeof(h->buf)) { (*h->put)(h->ctx, h->buf, h->n) ; h->n = 0 ; }
  }
}

/* relaxed (§3.4.2): lower-case name, unfold, WSP runs to one SP, no WSP
 * at the end of the value nor around the colon. What lies between
 * them goes out in runs. */
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
    size_t i = colon + 1 ;
    hput(&h, ':') ;
    while (i < len)
    {
      size_t lb = linebreak(f, len, i), j ;
      if (lb) { i += lb ; continue ; }   /* unfolding */
      if (IS_WSP(f[i])) { wsp = 1 ; i++ ; continue ; }
      if (wsp && started) hput(&h, ' ') ;
      wsp = 0 ;
      started = 1 ;
      for (j = i + 1 ; j < len && (!stop_relaxed[(unsigned char)f[j]] || (f[j] == '\r' && !linebreak(f, len, j))) ; j++) ;
      hputs(&h, f + i, j - i) ;
      i = j ;
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

/* A byte or run of bytes that is not WSP nor a line break starts or
 * continues the line's content: the empty lines held back were not
 * trailing, and a WSP run held back (relaxed) becomes one SP. */
static void start_content (dkim_body *b)
{
  content(b) ;
  if (b->wsp) { out1(b, ' ') ; b->wsp = 0 ; }
}

static void endline (dkim_body *b)
{
  if (b->content) out(b, "\r\n", 2) ;
  else b->empties++ ;   /* relaxed: a line of WSP only is empty too */
  b->content = 0 ;
  b->wsp = 0 ;
}

/* Where the run of bytes that go out unchanged, starting at s[i] (an
 * ordinary byte), ends: at a CR or LF, and for relaxed also at a TAB
 * or at a SP that is not a lone one before an ordinary byte (a lone SP
 * inside a line's content is its own canonical form). A SP at the end
 * of the chunk ends the run: what follows it is not known yet. */
static size_t run_end (char const *s, size_t len, size_t i, int relaxed)
{
  unsigned char const *stop = relaxed ? stop_relaxed : stop_simple ;
  size_t p = i + 1 ;
#ifdef __SSE2__
  /* 16 bytes at a time: scanning byte by byte cost as much as the
     SHA-256 of the result. */
  {
    __m128i const sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n') ;
    while (p + 17 <= len)
    {
      __m128i a = _mm_loadu_si128((__m128i const *)(s + p)) ;
      __m128i brk = _mm_or_si128(_mm_cmpeq_epi8(a, cr), _mm_cmpeq_epi8(a, lf)) ;
      unsigned int m ;
      if (relaxed)
      {
        __m128i next = _mm_loadu_si128((__m128i const *)(s + p + 1)) ;
        __m128i nextwsp = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(next, sp), _mm_cmpeq_epi8(next, tab)), _mm_or_si128(_mm_cmpeq_epi8(next, cr), _mm_cmpeq_epi8(next, lf))) ;
        brk = _mm_or_si128(brk, _mm_cmpeq_epi8(a, tab)) ;
        brk = _mm_or_si128(brk, _mm_and_si128(_mm_cmpeq_epi8(a, sp), nextwsp)) ;
      }
      m = (unsigned int)_mm_movemask_epi8(brk) ;
      if (m) return p + (size_t)__builtin_ctz(m) ;
      p += 16 ;
    }
  }
#endif
  for (; p < len ; p++)
  {
    unsigned char c = s[p] ;
    if (!stop[c]) continue ;
    if (c == ' ' && p + 1 < len && !stop[(unsigned char)s[p+1]]) { p++ ; continue ; }
    break ;
  }
  return p ;
}

/* Runs of bytes that go out unchanged go out whole, as one copy: the
 * body is most of the work of a DKIM operation beside the signature
 * itself, and a call per byte cost four times what hashing the result
 * does. */
void dkim_body_update (dkim_body *b, char const *s, size_t len)
{
  unsigned char const *stop = b->relaxed ? stop_relaxed : stop_simple ;
  size_t i = 0 ;
  while (i < len)
  {
    unsigned char c = s[i] ;
    if (b->cr)
    {
      b->cr = 0 ;
      if (c == '\n') { endline(b) ; i++ ; continue ; }
      start_content(b) ;   /* a lone CR is content */
      out1(b, '\r') ;
    }
    if (!stop[c])
    {
      size_t j = run_end(s, len, i, b->relaxed) ;
      start_content(b) ;
      out(b, s + i, j - i) ;
      i = j ;
    }
    else if (c == '\r') { b->cr = 1 ; i++ ; }
    else if (c == '\n') { endline(b) ; i++ ; }
    else   /* relaxed: a WSP run is held back until content follows */
    {
      b->wsp = 1 ;
      for (i++ ; i < len && (s[i] == ' ' || s[i] == '\t') ; i++) ;
    }
  }
}

/* §3.4.3: simple: trailing empty lines go, an empty body is one CRLF.
 * §3.4.4: relaxed: trailing empty lines go, an empty body stays empty.
 * Both: content after the last line break gets a CRLF. */
void dkim_body_final (dkim_body *b)
{
  if (b->cr) { b->cr = 0 ; start_content(b) ; out1(b, '\r') ; }
  if (b->content) out(b, "\r\n", 2) ;
  b->content = 0 ;
  b->empties = 0 ;
  if (!b->relaxed && !b->any) out(b, "\r\n", 2) ;
  if (b->n) (*b->put)(b->ctx, b->buf, b->n) ;
  b->n = 0 ;
}

/* ISC license. */

/* deliverd/smtpc_encode.c: lines over SMTPC_TEXT_LINE_MAX broken with
 * CR LF SPACE (Postfix's smtp_line_length_limit), together with CR LF
 * line ends and dot-stuffing, fed whole and byte by byte. */

#include <stdio.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "deliverd/smtpc.h"
#include "tests/unit/check.h"

static stralloc in = STRALLOC_ZERO ;
static stralloc want = STRALLOC_ZERO ;

 /* Encodes in whole, then byte by byte: both must give want, and count
    the same; *lines gets the broken lines. */
static int encodes (int stuff, uint64_t *lines)
{
  stralloc a = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  smtpc_enc ea = SMTPC_ENC_INIT(stuff), eb = SMTPC_ENC_INIT(stuff) ;
  uint64_t count = 0 ;
  int ok ;
  if (!smtpc_encode(&ea, in.s, in.len, &a, &count) || !smtpc_encode_end(&ea, &a, &count)) return 0 ;
  for (size_t i = 0 ; i < in.len ; i++) if (!smtpc_encode(&eb, in.s + i, 1, &b, 0)) return 0 ;
  if (!smtpc_encode_end(&eb, &b, 0)) return 0 ;
  ok = a.len == want.len && !memcmp(a.s, want.s, a.len) && b.len == a.len && !memcmp(b.s, a.s, a.len)
    && count == a.len && ea.longlines == eb.longlines ;
  if (!ok) printf("  got %zu bytes, want %zu\n", a.len, want.len) ;
  *lines = ea.longlines ;
  stralloc_free(&a) ;
  stralloc_free(&b) ;
  return ok ;
}

static void fill (stralloc *sa, char c, size_t n)
{
  for (size_t i = 0 ; i < n ; i++) stralloc_catb(sa, &c, 1) ;
}

int main (void)
{
  uint64_t lines ;

  in.len = want.len = 0 ;
  fill(&in, 'a', 998) ; stralloc_cats(&in, "\n") ;
  fill(&want, 'a', 998) ; stralloc_cats(&want, "\r\n") ;
  CHECK(encodes(1, &lines) && !lines, "998 octets: not broken") ;

  in.len = want.len = 0 ;
  fill(&in, 'a', 999) ; stralloc_cats(&in, "\n") ;
  fill(&want, 'a', 998) ; stralloc_cats(&want, "\r\n a\r\n") ;
  CHECK(encodes(1, &lines) && lines == 1, "999 octets: CR LF SPACE before the last") ;

  in.len = want.len = 0 ;
  fill(&in, 'b', 3000) ; stralloc_cats(&in, "\nshort\n") ;
  fill(&want, 'b', 998) ; stralloc_cats(&want, "\r\n ") ;
  fill(&want, 'b', 997) ; stralloc_cats(&want, "\r\n ") ;
  fill(&want, 'b', 997) ; stralloc_cats(&want, "\r\n ") ;
  fill(&want, 'b', 8) ; stralloc_cats(&want, "\r\nshort\r\n") ;
  CHECK(encodes(0, &lines) && lines == 1, "3000 octets: 998, then 1 + 997 per continuation line") ;

  in.len = want.len = 0 ;
  stralloc_cats(&in, ".") ; fill(&in, 'd', 998) ;
  stralloc_cats(&want, "..") ; fill(&want, 'd', 996) ; stralloc_cats(&want, "\r\n dd\r\n") ;
  CHECK(encodes(1, &lines) && lines == 1, "a stuffed dot counts; the last line gets its CR LF") ;

  in.len = want.len = 0 ;
  fill(&in, 'e', 997) ; stralloc_cats(&in, "\xc3\xa9\xc3\xa9\r\n") ;
  fill(&want, 'e', 997) ; stralloc_cats(&want, "\r\n \xc3\xa9\xc3\xa9\r\n") ;
  CHECK(encodes(1, &lines) && lines == 1, "no break inside a UTF-8 sequence") ;

  in.len = want.len = 0 ;
  fill(&in, 'f', 996) ; stralloc_cats(&in, "\xe2\x82\xac") ; stralloc_cats(&in, "\r") ; fill(&in, 'g', 999) ;
  fill(&want, 'f', 996) ; stralloc_cats(&want, "\r\n \xe2\x82\xac\r\n") ; fill(&want, 'g', 998) ; stralloc_cats(&want, "\r\n g\r\n") ;
  CHECK(encodes(0, &lines) && lines == 2, "a bare CR ends a line and its count") ;

  in.len = want.len = 0 ;
  fill(&in, 'h', 2000) ;
  {
    smtpc_enc e = SMTPC_ENC_INIT(1) ;
    stralloc out = STRALLOC_ZERO ;
    e.limit = 0 ;
    CHECK(smtpc_encode(&e, in.s, in.len, &out, 0) && smtpc_encode_end(&e, &out, 0) && out.len == 2002 && !e.longlines, "limit 0: no break") ;
    stralloc_free(&out) ;
  }
  stralloc_free(&in) ;
  stralloc_free(&want) ;
  return check_done() ;
}

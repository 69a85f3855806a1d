/* ISC license. */

/* Unit tests of the IMAP syntax layer (imapd/imap_parse.h): the reader,
 * every grammar element, the error texts and the RFC examples. */

#include <string.h>
#include <stdio.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>
#include "imapd/imap_parse.h"
#include "tests/unit/check.h"

/* ---- reader helpers ---- */

static char bufstore[8192] ;

typedef struct feed_s feed ;
struct feed_s
{
  int rc ;                  /* last return of imap_reader_get */
  unsigned int conts ;      /* continuation requests seen */
  size_t left ;             /* input bytes not consumed */
} ;

/* Feeds in (chunks of at most step bytes) until a command completes, an
 * error, or the input runs out. */
static feed run (imap_reader *r, char const *in, size_t len, size_t step)
{
  feed f = { 0, 0, 0 } ;
  buffer b = BUFFER_INIT(0, -1, bufstore, sizeof(bufstore)) ;
  size_t pos = 0 ;
  for (;;)
  {
    size_t room = step ;
    if (room > len - pos) room = len - pos ;
    pos += buffer_putnoflush(&b, in + pos, room) ;
    f.rc = imap_reader_get(r, &b) ;
    if (f.rc) break ;
    if (r->want_continuation) { f.conts++ ; continue ; }
    if (pos == len && !buffer_len(&b)) break ;
  }
  f.left = len - pos + buffer_len(&b) ;
  return f ;
}

static int cmd_isb (imap_reader const *r, char const *s, size_t len)
{
  return r->cmd.len == len && !memcmp(r->cmd.s, s, len) ;
}
#define cmd_is(r, s) cmd_isb((r), (s), sizeof(s) - 1)

static void test_reader (void)
{
  imap_reader r = IMAP_READER_ZERO ;
  feed f ;

  f = run(&r, "a1 NOOP\r\n", 9, 9) ;
  CHECK(f.rc == 1 && cmd_is(&r, "a1 NOOP\r\n"), "reader: simple line") ;
  imap_reader_reset(&r) ;
  f = run(&r, "a1 NOOP\r\n", 9, 1) ;
  CHECK(f.rc == 1 && cmd_is(&r, "a1 NOOP\r\n"), "reader: byte by byte") ;
  imap_reader_reset(&r) ;
  f = run(&r, "a1 NOOP\n", 8, 8) ;
  CHECK(f.rc == 1 && cmd_is(&r, "a1 NOOP\r\n"), "reader: bare LF stored as CRLF (RFC 9051 2.2)") ;
  imap_reader_reset(&r) ;
  f = run(&r, "a1 NOOP", 7, 7) ;
  CHECK(f.rc == 0 && !r.want_continuation, "reader: incomplete line wants more") ;
  imap_reader_reset(&r) ;

  {
    static char const in[] = "a2 LOGIN {5}\r\nfred\x01 {3}\r\nabc\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 64) ;
    CHECK(f.rc == 1 && f.conts == 2 && cmd_is(&r, in), "reader: two synchronizing literals, two continuations") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a3 LOGIN {5+}\r\nfred\n {3+}\r\nabc\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 3) ;
    CHECK(f.rc == 1 && f.conts == 0 && cmd_is(&r, in), "reader: LITERAL+ needs no continuation, LF kept inside literal") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a4 APPEND INBOX ~{3}\r\n\0\1\2\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == 1 && f.conts == 1 && cmd_is(&r, in), "reader: literal8 with NULs (RFC 3516)") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a5 LOGIN {0}\r\n {0+}\r\n\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == 1 && f.conts == 1 && cmd_is(&r, in), "reader: empty literals") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a6 SEARCH SUBJECT foo}\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == 1 && f.conts == 0, "reader: atom ending in } is no literal") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a7 LOGIN {1x+}\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == 1, "reader: {1x+} is no literal header") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a8 LOGIN {+}\r\na9 NOOP\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_BADLITERAL && !imap_reader_must_close(&r), "reader: {+} is a bad literal") ;
    imap_reader_reset(&r) ;
    f = run(&r, "", 0, 1) ;
    CHECK(f.rc == 0, "reader: nothing more after reset") ;
  }
  {
    static char const in[] = "a8 LOGIN {99999999999999999999}\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_BADLITERAL, "reader: literal size overflow refused") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "t1 NO\0OP\r\nt2 NOOP\r\n" ;
    buffer b = BUFFER_INIT(0, -1, bufstore, sizeof(bufstore)) ;
    int rc ;
    buffer_putnoflush(&b, in, sizeof(in) - 1) ;
    rc = imap_reader_get(&r, &b) ;
    CHECK(rc == -1 && r.error == IMAP_READER_BARELINE && r.cmd.len >= 3 && !memcmp(r.cmd.s, "t1 ", 3), "reader: NUL in a line, tag kept") ;
    imap_reader_reset(&r) ;
    rc = imap_reader_get(&r, &b) ;
    CHECK(rc == 1 && cmd_is(&r, "t2 NOOP\r\n"), "reader: resync after a NUL line") ;
    imap_reader_reset(&r) ;
  }

  /* over-long lines: BAD then resync, nothing of the line executed */
  {
    static char big[IMAP_LINE_MAX + 200] ;
    stralloc in = STRALLOC_ZERO ;
    memset(big, 'x', sizeof(big)) ;
    stralloc_cats(&in, "t3 SEARCH ") ;
    stralloc_catb(&in, big, sizeof(big)) ;
    stralloc_cats(&in, "\r\nt4 NOOP\r\n") ;
    f = run(&r, in.s, in.len, 4096) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_TOOLONG && !imap_reader_must_close(&r) && !memcmp(r.cmd.s, "t3 ", 3), "reader: over-long line refused, tag kept") ;
    imap_reader_reset(&r) ;
    f = run(&r, in.s + in.len - f.left, f.left, 4096) ;
    CHECK(f.rc == 1 && cmd_is(&r, "t4 NOOP\r\n"), "reader: resync at the next line") ;
    imap_reader_reset(&r) ;

    /* an over-long line ending in {n+}: its literal bytes are skipped, not run */
    in.len = 0 ;
    stralloc_cats(&in, "t5 SEARCH ") ;
    stralloc_catb(&in, big, sizeof(big)) ;
    stralloc_cats(&in, " {9+}\r\nt6 LOGOUT\r\nt7 NOOP\r\n") ;
    f = run(&r, in.s, in.len, 1000) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_TOOLONG, "reader: over-long line with {n+}") ;
    f = run(&r, in.s + in.len - f.left, f.left, 1000) ;
    CHECK(f.rc == 1 && cmd_is(&r, "t7 NOOP\r\n"), "reader: the {n+} bytes of a refused line are skipped") ;
    imap_reader_reset(&r) ;

    /* exactly IMAP_LINE_MAX with CRLF is fine */
    in.len = 0 ;
    stralloc_cats(&in, "t8 X ") ;
    stralloc_catb(&in, big, IMAP_LINE_MAX - 7) ;
    stralloc_cats(&in, "\r\n") ;
    f = run(&r, in.s, in.len, 5000) ;
    CHECK(f.rc == 1 && r.cmd.len == IMAP_LINE_MAX, "reader: a line of exactly IMAP_LINE_MAX") ;
    imap_reader_reset(&r) ;
    in.len = 0 ;
    stralloc_cats(&in, "t8 X ") ;
    stralloc_catb(&in, big, IMAP_LINE_MAX - 6) ;
    stralloc_cats(&in, "\r\n") ;
    f = run(&r, in.s, in.len, 5000) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_TOOLONG, "reader: IMAP_LINE_MAX + 1 refused") ;
    imap_reader_reset(&r) ;
    f = run(&r, in.s + in.len - f.left, f.left, 5000) ;
    CHECK(f.rc == 0 && !f.left, "reader: rest of the refused line swallowed") ;
    f = run(&r, "t9 NOOP\r\n", 9, 9) ;
    CHECK(f.rc == 1 && cmd_is(&r, "t9 NOOP\r\n"), "reader: next command after a refused line") ;
    imap_reader_reset(&r) ;
    stralloc_free(&in) ;
  }

  /* literal limits */
  {
    static char const in[] = "a1 APPEND INBOX {2000}\r\n" ;
    r.literal_max = 1000 ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_LITERAL_TOOBIG && !imap_reader_must_close(&r) && !imap_reader_nonsync(&r), "reader: APPEND sync literal over APPENDLIMIT: NO [TOOBIG] (RFC 7889)") ;
    imap_reader_reset(&r) ;
    f = run(&r, "a2 NOOP\r\n", 9, 9) ;
    CHECK(f.rc == 1 && cmd_is(&r, "a2 NOOP\r\n"), "reader: goes on after TOOBIG") ;
    imap_reader_reset(&r) ;
  }
  {
    static char const in[] = "a1 APPEND INBOX {2000+}\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_LITERAL_TOOBIG && imap_reader_must_close(&r) && imap_reader_nonsync(&r), "reader: APPEND {n+} over APPENDLIMIT: BAD and close (RFC 7888 4)") ;
    f = run(&r, "a2 NOOP\r\n", 9, 9) ;
    CHECK(f.rc == -1, "reader: stays closed") ;
    imap_reader_free(&r) ;
    r = (imap_reader)IMAP_READER_ZERO ;
  }
  {
    static char const in[] = "a1 UID APPEND INBOX {999}\r\n" ;
    r.literal_max = 1000 ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == 0 && f.conts == 1, "reader: literal within APPENDLIMIT gets a continuation") ;
    imap_reader_reset(&r) ;
    r.literal_max = 0 ;
  }
  {
    static char const in[] = "a1 LOGIN {4097+}\r\n" ;
    r.literal_plus_ok = 0 ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_LITERAL_TOOBIG && imap_reader_must_close(&r), "reader: LITERAL- {4097+} refused, close") ;
    imap_reader_free(&r) ;
    r = (imap_reader)IMAP_READER_ZERO ;
    r.literal_plus_ok = 0 ;
    f = run(&r, "a1 LOGIN {4096+}\r\n", 18, 100) ;
    CHECK(f.rc == 0 && !r.want_continuation && r.literal_left == 4096, "reader: LITERAL- {4096+} accepted") ;
    imap_reader_free(&r) ;
    r = (imap_reader)IMAP_READER_ZERO ;
  }
  {
    char hdr[64] ;
    int n = snprintf(hdr, sizeof(hdr), "a1 LOGIN {%u}\r\n", IMAP_COMMAND_MAX) ;
    f = run(&r, hdr, n, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_TOOLONG && !imap_reader_must_close(&r), "reader: sync literal over IMAP_COMMAND_MAX: BAD, no close") ;
    imap_reader_reset(&r) ;
    n = snprintf(hdr, sizeof(hdr), "a1 LOGIN {%u+}\r\n", IMAP_COMMAND_MAX) ;
    f = run(&r, hdr, n, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_LITERAL_TOOBIG && imap_reader_must_close(&r), "reader: {n+} over IMAP_COMMAND_MAX: close") ;
    imap_reader_free(&r) ;
    r = (imap_reader)IMAP_READER_ZERO ;
    r.literal_max = 4 * IMAP_COMMAND_MAX ;
    n = snprintf(hdr, sizeof(hdr), "a1 APPEND x {%u}\r\n", 2 * IMAP_COMMAND_MAX) ;
    f = run(&r, hdr, n, 100) ;
    CHECK(f.rc == 0 && f.conts == 1, "reader: APPEND literal may exceed IMAP_COMMAND_MAX up to literal_max") ;
    imap_reader_free(&r) ;
  }
}

int main (void)
{
  test_reader() ;
  return check_done() ;
}

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

  {
    static char const in[] = "c1 NO\rOP {4+}\r\nc2 X\r\nc3 NOOP\r\n" ;
    f = run(&r, in, sizeof(in) - 1, 100) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_BARELINE && !imap_reader_must_close(&r), "reader: CR not followed by LF refused") ;
    f = run(&r, in + sizeof(in) - 1 - f.left, f.left, 100) ;
    CHECK(f.rc == 1 && cmd_is(&r, "c3 NOOP\r\n"), "reader: the {n+} bytes of a bare-CR line are skipped") ;
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

    /* only the CRLF goes over: the {n+} at the end of the line is still seen */
    in.len = 0 ;
    stralloc_cats(&in, "t5 X ") ;
    stralloc_catb(&in, big, IMAP_LINE_MAX - 1 - 5 - 5) ;
    stralloc_cats(&in, " {9+}\r\nt6 LOGOUT\r\nt7 NOOP\r\n") ;
    f = run(&r, in.s, in.len, 1000) ;
    CHECK(f.rc == -1 && r.error == IMAP_READER_TOOLONG, "reader: line over the limit by its CRLF") ;
    imap_reader_reset(&r) ;
    f = run(&r, in.s + in.len - f.left, f.left, 1000) ;
    CHECK(f.rc == 1 && cmd_is(&r, "t7 NOOP\r\n"), "reader: its {n+} bytes are skipped too") ;
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


/* ---- cursor helpers ---- */

static imap_cursor cur ;

/* A cursor on s (no tag): the arguments alone. */
static imap_cursor *at (char const *s)
{
  cur.s = s ;
  cur.len = strlen(s) ;
  cur.pos = 0 ;
  cur.depth = 0 ;
  cur.utf8 = 0 ;
  cur.error = 0 ;
  return &cur ;
}

static int err_is (char const *text)
{
  return cur.error && !strcmp(cur.error, text) ;
}

static void test_start (void)
{
  imap_cursor c = { .utf8 = 0 } ;
  char const *tag ;
  size_t taglen ;
  char name[32] ;
  int uid ;
  static char const a[] = "A001 login fred secret\r\n" ;
  static char const b[] = "x.1 uid fetch 1:* FLAGS\r\n" ;
  static char const d[] = "a+b NOOP\r\n" ;
  static char const e[] = "tag\r\n" ;
  static char const f[] = "t1 UID\r\n" ;
  static char const g[] = "t1 ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG\r\n" ;
  static char const h[] = "* NOOP\r\n" ;
  char longtag[100] ;

  CHECK(imap_cursor_start(&c, a, sizeof(a) - 1, &tag, &taglen, name, &uid) && taglen == 4 && !memcmp(tag, "A001", 4) && !strcmp(name, "LOGIN") && !uid && c.pos == 10, "start: tag and upper-cased name") ;
  CHECK(imap_cursor_start(&c, b, sizeof(b) - 1, &tag, &taglen, name, &uid) && uid && !strcmp(name, "FETCH") && taglen == 3, "start: UID FETCH") ;
  CHECK(!imap_cursor_start(&c, d, sizeof(d) - 1, &tag, &taglen, name, &uid) && !tag, "start: '+' not allowed in a tag") ;
  CHECK(!imap_cursor_start(&c, e, sizeof(e) - 1, &tag, &taglen, name, &uid) && tag && taglen == 3 && c.error, "start: tag without command keeps the tag") ;
  CHECK(!imap_cursor_start(&c, f, sizeof(f) - 1, &tag, &taglen, name, &uid) && c.error && !strcmp(c.error, "Missing command after UID"), "start: UID alone") ;
  CHECK(!imap_cursor_start(&c, g, sizeof(g) - 1, &tag, &taglen, name, &uid) && tag, "start: command name over 31 chars") ;
  CHECK(!imap_cursor_start(&c, h, sizeof(h) - 1, &tag, &taglen, name, &uid) && !tag, "start: '*' is no tag") ;
  memset(longtag, 'a', sizeof(longtag)) ;
  memcpy(longtag + 80, " NOOP\r\n", 7) ;
  CHECK(!imap_cursor_start(&c, longtag, 87, &tag, &taglen, name, &uid) && c.error && !strcmp(c.error, "Tag too long"), "start: tag over IMAP_TAG_MAX") ;
}

static void test_basic (void)
{
  CHECK(imap_sp(at(" x")) && cur.pos == 1, "sp: one space") ;
  CHECK(!imap_sp(at("x")) && err_is("Expected a space"), "sp: error text") ;
  CHECK(imap_end(at("\r\n")), "end: CRLF") ;
  CHECK(imap_end(at("")), "end: end of buffer") ;
  CHECK(!imap_end(at(" foo\r\n")) && err_is("Unexpected extra arguments"), "end: extra arguments") ;
  CHECK(!imap_end(at("\r\nx")), "end: bytes after CRLF") ;
  CHECK(imap_peek(at("")) == -1 && imap_peek(at("\xff")) == 0xff, "peek") ;
  CHECK(imap_peek_sp_or_end(at(" ")) && imap_peek_sp_or_end(at("\r\n")) && !imap_peek_sp_or_end(at("x")), "peek_sp_or_end") ;
  CHECK(imap_try_word(at("body["), "BODY") && cur.pos == 4, "try_word: case-insensitive, stops at [") ;
  CHECK(!imap_try_word(at("BODYSTRUCTURE"), "BODY") && cur.pos == 0, "try_word: not a prefix of a longer word") ;
  CHECK(!imap_try_word(at("BODY.PEEK["), "BODY") && imap_try_word(&cur, "BODY.PEEK"), "try_word: BODY vs BODY.PEEK") ;
  CHECK(imap_try(at("(x"), '(') && !imap_try(&cur, ')'), "try: a char") ;
  {
    char deep[IMAP_NEST_MAX + 2] ;
    unsigned int i, ok = 1 ;
    memset(deep, '(', sizeof(deep) - 1) ;
    deep[sizeof(deep) - 1] = 0 ;
    at(deep) ;
    for (i = 0 ; i < IMAP_NEST_MAX ; i++) ok &= imap_lparen(&cur) ;
    CHECK(ok && !imap_lparen(&cur) && err_is("Too deeply nested"), "lparen: IMAP_NEST_MAX") ;
  }
  CHECK(imap_lparen(at("()")) && cur.depth == 1 && imap_rparen(&cur) && !cur.depth, "lparen/rparen depth") ;
}

static void test_strings (void)
{
  stralloc sa = STRALLOC_ZERO ;
  int isnil ;

  sa.len = 0 ; CHECK(imap_atom(at("FOO.bar] x"), &sa) && !strcmp(sa.s, "FOO.bar") && cur.pos == 7, "atom: stops at ]") ;
  sa.len = 0 ; CHECK(!imap_atom(at("(x"), &sa) && err_is("Expected an atom"), "atom: error text") ;
  sa.len = 0 ; CHECK(imap_astring(at("fo]o x"), &sa) && !strcmp(sa.s, "fo]o"), "astring: ASTRING-CHAR includes ]") ;
  sa.len = 0 ; CHECK(imap_astring(at("\"a \\\"b\\\\\" x"), &sa) && !strcmp(sa.s, "a \"b\\") && cur.pos == 9, "astring: quoted with escapes") ;
  sa.len = 0 ; CHECK(!imap_astring(at("\"a\\b\""), &sa) && err_is("Invalid escape in quoted string"), "quoted: bad escape") ;
  sa.len = 0 ; CHECK(!imap_astring(at("\"abc"), &sa) && err_is("Unterminated quoted string"), "quoted: unterminated") ;
  sa.len = 0 ; CHECK(!imap_astring(at("\"caf\xc3\xa9\""), &sa) && err_is("8-bit character in quoted string (use a literal)"), "quoted: 8-bit refused without UTF8=ACCEPT") ;
  sa.len = 0 ; at("\"caf\xc3\xa9\"") ; cur.utf8 = 1 ;
  CHECK(imap_astring(&cur, &sa) && !strcmp(sa.s, "caf\xc3\xa9"), "quoted: UTF-8 with UTF8=ACCEPT") ;
  sa.len = 0 ; at("\"\xc3\x28\"") ; cur.utf8 = 1 ;
  CHECK(!imap_astring(&cur, &sa) && err_is("Invalid UTF-8 in quoted string"), "quoted: invalid UTF-8 refused") ;
  sa.len = 0 ; CHECK(imap_string(at("{5}\r\nab\r\nc rest"), &sa) && !strcmp(sa.s, "ab\r\nc") && cur.pos == 10, "string: literal") ;
  sa.len = 0 ; CHECK(imap_string(at("{3+}\r\nabc"), &sa) && !strcmp(sa.s, "abc"), "string: non-synchronizing literal") ;
  sa.len = 0 ; CHECK(!imap_string(at("{9}\r\nabc"), &sa) && err_is("Literal data missing"), "string: literal past the buffer") ;
  {
    static char const lit[] = "{3}\r\na\0c" ;
    imap_cursor *c = at("") ;
    c->s = lit ; c->len = sizeof(lit) - 1 ;
    sa.len = 0 ;
    CHECK(!imap_string(c, &sa) && err_is("NUL in a literal (use literal8, RFC 3516)"), "string: NUL in a literal refused") ;
  }
  sa.len = 0 ; CHECK(!imap_string(at("~{3}\r\nabc"), &sa) && err_is("literal8 not allowed here"), "string: literal8 only for APPEND") ;
  sa.len = 0 ; CHECK(!imap_string(at("{3}abc"), &sa) && err_is("Invalid literal header"), "string: literal without CRLF") ;
  sa.len = 0 ; CHECK(!imap_string(at("atom"), &sa) && err_is("Expected a string"), "string: atom is no string") ;
  sa.len = 0 ; CHECK(imap_nstring(at("nil"), &sa, &isnil) && isnil, "nstring: NIL") ;
  sa.len = 0 ; CHECK(imap_nstring(at("\"NIL\""), &sa, &isnil) && !isnil && !strcmp(sa.s, "NIL"), "nstring: quoted NIL is a string") ;
  {
    static char const lit[] = "~{4}\r\n\0\1\2\3 x" ;
    char const *data ; size_t len ; int binary ;
    imap_cursor *c = at("") ;
    c->s = lit ; c->len = sizeof(lit) - 1 ;
    CHECK(imap_literal_ref(c, &data, &len, &binary) && binary && len == 4 && data == lit + 6 && c->pos == 10, "literal_ref: literal8 in place") ;
    CHECK(imap_literal_ref(at("{2}\r\nhi"), &data, &len, &binary) && !binary && len == 2 && !memcmp(data, "hi", 2), "literal_ref: literal") ;
    CHECK(!imap_literal_ref(at("\"hi\""), &data, &len, &binary) && err_is("Expected a literal"), "literal_ref: quoted refused") ;
  }
  sa.len = 0 ; CHECK(imap_mailbox(at("iNbOx"), &sa) && !strcmp(sa.s, "INBOX"), "mailbox: INBOX any case") ;
  sa.len = 0 ; CHECK(imap_mailbox(at("\"inbox\""), &sa) && !strcmp(sa.s, "INBOX"), "mailbox: quoted inbox") ;
  sa.len = 0 ; CHECK(imap_mailbox(at("inbox/Sub"), &sa) && !strcmp(sa.s, "inbox/Sub"), "mailbox: only INBOX itself folds") ;
  sa.len = 0 ; CHECK(imap_mailbox(at("&AOk-t&AOk-"), &sa) && !strcmp(sa.s, "&AOk-t&AOk-"), "mailbox: modified UTF-7 kept") ;
  sa.len = 0 ; CHECK(!imap_mailbox(at("%"), &sa) && err_is("Expected an astring"), "mailbox: wildcard refused") ;
  sa.len = 0 ; CHECK(imap_list_mailbox(at("Foo/%/*"), &sa) && !strcmp(sa.s, "Foo/%/*"), "list-mailbox: wildcards") ;
  sa.len = 0 ; CHECK(imap_list_mailbox(at("\"\""), &sa) && !strcmp(sa.s, ""), "list-mailbox: empty string") ;
  stralloc_free(&sa) ;
}

static void test_numbers (void)
{
  uint32_t n ;
  uint64_t m ;
  CHECK(imap_number(at("4294967295"), &n) && n == 4294967295u, "number: 2^32-1") ;
  CHECK(!imap_number(at("4294967296"), &n) && err_is("Number out of range"), "number: 2^32 refused") ;
  CHECK(imap_number(at("007"), &n) && n == 7, "number: leading zeros") ;
  CHECK(!imap_number(at("x"), &n) && err_is("Expected a number"), "number: error text") ;
  CHECK(!imap_nz_number(at("0"), &n) && err_is("Expected a non-zero number"), "nz-number: zero refused") ;
  CHECK(!imap_nz_number(at("01"), &n), "nz-number: leading zero refused") ;
  CHECK(imap_number64(at("9223372036854775807"), &m) && m == UINT64_C(9223372036854775807), "number64: 2^63-1") ;
  CHECK(!imap_number64(at("9223372036854775808"), &m), "number64: 2^63 refused") ;
}
static void test_dates (void)
{
  int64_t t ;
  CHECK(imap_date(at("1-Feb-1994"), &t) && t == 760060800, "date: 1-Feb-1994 (RFC 3501 example)") ;
  CHECK(imap_date(at("\"01-feb-1994\" x"), &t) && t == 760060800 && cur.pos == 13, "date: quoted, month any case") ;
  CHECK(imap_date(at("1-Jan-1970"), &t) && t == 0, "date: the epoch") ;
  CHECK(imap_date(at("29-Feb-2000"), &t) && t == 951782400, "date: leap day 2000") ;
  CHECK(!imap_date(at("29-Feb-1900"), &t) && err_is("Invalid date"), "date: 29-Feb-1900 refused") ;
  CHECK(!imap_date(at("32-Jan-2020"), &t), "date: day 32 refused") ;
  CHECK(!imap_date(at("1-Foo-2020"), &t), "date: bad month refused") ;
  CHECK(!imap_date(at("1-Jan-20"), &t), "date: 2-digit year refused") ;
  CHECK(!imap_date(at("\"1-Jan-2020"), &t), "date: unterminated quote") ;
  CHECK(imap_date(at("31-Dec-1969"), &t) && t == -86400, "date: before the epoch") ;
  CHECK(imap_date_time(at("\"17-Jul-1996 02:44:25 -0700\""), &t) && t == 837596665 && cur.pos == 28, "date-time: RFC 3501 example") ;
  CHECK(imap_date_time(at("\" 7-Jul-1996 02:44:25 +0000\""), &t) && t == 836707465, "date-time: date-day-fixed with SP") ;
  CHECK(imap_date_time(at("\"7-Jul-1996 02:44:25 +0100\""), &t) && t == 836703865, "date-time: one-digit day tolerated") ;
  CHECK(!imap_date_time(at("17-Jul-1996 02:44:25 -0700"), &t) && err_is("Invalid date-time"), "date-time: must be quoted") ;
  CHECK(!imap_date_time(at("\"17-Jul-1996 24:00:00 -0700\""), &t), "date-time: hour 24 refused") ;
  CHECK(!imap_date_time(at("\"17-Jul-1996 02:44:25 0700\""), &t), "date-time: zone sign required") ;
  CHECK(!imap_date_time(at("\"17-Jul-1996 02:44:25 -0700"), &t), "date-time: unterminated") ;
}

static void test_flags (void)
{
  stralloc kw = STRALLOC_ZERO ;
  uint32_t fl ;
  unsigned int n ;
  CHECK(imap_flag_list(at("(\\Seen \\answered $Forwarded foo)"), &fl, &kw, &n, 0) && fl == (IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED) && n == 2 && !strcmp(kw.s, "$Forwarded") && !strcmp(kw.s + 11, "foo"), "flags: system flags and keywords") ;
  kw.len = 0 ;
  CHECK(imap_flag_list(at("()"), &fl, &kw, &n, 0) && !fl && !n, "flags: empty list") ;
  CHECK(!imap_flag_list(at("(\\Recent)"), &fl, &kw, &n, 0) && err_is("\\Recent cannot be set"), "flags: \\Recent refused") ;
  CHECK(!imap_flag_list(at("(\\Bogus)"), &fl, &kw, &n, 0) && err_is("Invalid system flag"), "flags: unknown system flag") ;
  CHECK(!imap_flag_list(at("\\Seen"), &fl, &kw, &n, 0) && err_is("Expected a flag list"), "flags: parentheses required") ;
  kw.len = 0 ;
  CHECK(imap_flag_list(at("\\Seen \\Draft x"), &fl, &kw, &n, 1) && fl == (IMAP_FLAG_SEEN | IMAP_FLAG_DRAFT) && n == 1 && imap_end(&cur), "flags: without parentheses (STORE)") ;
  CHECK(!imap_flag_list(at("(\\Seen"), &fl, &kw, &n, 0) && cur.error, "flags: unclosed list") ;
  CHECK(!imap_flag_list(at("(\\Seen  foo)"), &fl, &kw, &n, 0), "flags: double space refused") ;
  stralloc_free(&kw) ;
}

static int range_is (imap_seqset const *s, size_t i, uint32_t lo, uint32_t hi)
{
  return genalloc_len(imap_range, &s->ranges) > i && genalloc_s(imap_range, &s->ranges)[i].lo == lo && genalloc_s(imap_range, &s->ranges)[i].hi == hi ;
}

static void test_seqset (void)
{
  imap_seqset set = IMAP_SEQSET_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  CHECK(imap_seqset_parse(at("2,4:7,9,12:*"), &set) && genalloc_len(imap_range, &set.ranges) == 4 && range_is(&set, 1, 4, 7) && range_is(&set, 3, 12, 0), "seqset: RFC 9051 example 2,4:7,9,12:*") ;
  CHECK(imap_seqset_contains(&set, 2, 15) && !imap_seqset_contains(&set, 3, 15) && imap_seqset_contains(&set, 5, 15) && imap_seqset_contains(&set, 15, 15) && !imap_seqset_contains(&set, 10, 15), "seqset: contains") ;
  CHECK(imap_seqset_contains(&set, 10, 10) && !imap_seqset_contains(&set, 8, 10), "seqset: 12:* with max 10 contains 10 (RFC 9051)") ;
  CHECK(imap_seqset_parse(at("*:4"), &set) && range_is(&set, 0, 4, 0), "seqset: *:4") ;
  CHECK(imap_seqset_parse(at("7:3"), &set) && range_is(&set, 0, 3, 7) && imap_seqset_contains(&set, 5, 9), "seqset: reversed range") ;
  CHECK(imap_seqset_parse(at("*"), &set) && imap_seqset_contains(&set, 9, 9) && !imap_seqset_contains(&set, 8, 9), "seqset: * alone") ;
  CHECK(imap_seqset_parse(at("$"), &set) && set.saved && !genalloc_len(imap_range, &set.ranges), "seqset: $ (RFC 5182)") ;
  CHECK(!imap_seqset_parse(at("0"), &set) && err_is("Invalid sequence set"), "seqset: 0 refused") ;
  CHECK(!imap_seqset_parse(at("1,"), &set), "seqset: trailing comma refused") ;
  CHECK(!imap_seqset_parse(at("1:"), &set), "seqset: open range refused") ;
  CHECK(imap_seqset_parse(at("1 2"), &set) && cur.pos == 1, "seqset: stops at SP") ;
  {
    static uint32_t const v[] = { 1, 2, 3, 3, 7, 9, 10 } ;
    CHECK(imap_seqset_fmt(&sa, v, 7) && sa.len == 10 && !memcmp(sa.s, "1:3,7,9:10", 10), "seqset_fmt: compact") ;
    sa.len = 0 ;
    CHECK(imap_seqset_fmt(&sa, v, 0) && !sa.len, "seqset_fmt: empty") ;
  }
  imap_seqset_free(&set) ;
  stralloc_free(&sa) ;
}

static imap_section const *section_n (imap_fetch const *f, size_t i)
{
  return genalloc_s(imap_section, &f->sections) + i ;
}

static void test_fetch (void)
{
  imap_fetch f = IMAP_FETCH_ZERO ;
  imap_section const *sec ;
  CHECK(imap_fetch_parse(at("ALL"), &f) && f.items == (IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_ENVELOPE), "fetch: ALL macro") ;
  CHECK(imap_fetch_parse(at("fast"), &f) && f.items == (IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE), "fetch: FAST macro") ;
  CHECK(imap_fetch_parse(at("FULL"), &f) && (f.items & IMAP_FETCH_BODY) && (f.items & IMAP_FETCH_ENVELOPE), "fetch: FULL macro") ;
  CHECK(!imap_fetch_parse(at("(ALL)"), &f), "fetch: macro inside a list refused") ;
  CHECK(imap_fetch_parse(at("(FLAGS BODY[HEADER.FIELDS (DATE FROM)])"), &f) && f.items == IMAP_FETCH_FLAGS && genalloc_len(imap_section, &f.sections) == 1 && f.sets_seen, "fetch: RFC 3501 example") ;
  sec = section_n(&f, 0) ;
  CHECK(sec->kind == IMAP_SECTION_BODY && sec->text == IMAP_TEXT_HEADER_FIELDS && sec->nfields == 2 && !strcmp(f.strings.s + sec->fields, "DATE") && !strcmp(f.strings.s + sec->fields + 5, "FROM"), "fetch: header fields") ;
  CHECK(!strcmp(f.strings.s + sec->echo, "BODY[HEADER.FIELDS (DATE FROM)]"), "fetch: echo of header fields") ;
  CHECK(imap_fetch_parse(at("BODY.PEEK[1.2.MIME]<10.20>"), &f) && !f.sets_seen, "fetch: BODY.PEEK does not set \\Seen") ;
  sec = section_n(&f, 0) ;
  CHECK(sec->kind == IMAP_SECTION_BODY_PEEK && sec->nparts == 2 && sec->part[1] == 2 && sec->text == IMAP_TEXT_MIME && sec->partial && sec->offset == 10 && sec->count == 20 && !strcmp(f.strings.s + sec->echo, "BODY[1.2.MIME]<10>"), "fetch: parts, MIME, partial, echo") ;
  CHECK(!imap_fetch_parse(at("BODY[MIME]"), &f) && err_is("Invalid section"), "fetch: MIME needs a part") ;
  CHECK(imap_fetch_parse(at("BODY[]"), &f) && section_n(&f, 0)->text == IMAP_TEXT_NONE && !section_n(&f, 0)->nparts, "fetch: BODY[]") ;
  CHECK(imap_fetch_parse(at("(BODY BODYSTRUCTURE)"), &f) && f.items == (IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE), "fetch: BODY vs BODYSTRUCTURE") ;
  CHECK(imap_fetch_parse(at("(RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT UID ENVELOPE INTERNALDATE MODSEQ)"), &f) && f.items == (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_HEADER | IMAP_FETCH_RFC822_SIZE | IMAP_FETCH_RFC822_TEXT | IMAP_FETCH_UID | IMAP_FETCH_ENVELOPE | IMAP_FETCH_INTERNALDATE | IMAP_FETCH_MODSEQ) && f.sets_seen, "fetch: every simple item") ;
  CHECK(imap_fetch_parse(at("RFC822.HEADER"), &f) && !f.sets_seen, "fetch: RFC822.HEADER does not set \\Seen") ;
  CHECK(imap_fetch_parse(at("(BINARY[1.2] BINARY.PEEK[]<0.5> BINARY.SIZE[3])"), &f) && genalloc_len(imap_section, &f.sections) == 3 && f.sets_seen, "fetch: BINARY items (RFC 3516)") ;
  CHECK(!strcmp(f.strings.s + section_n(&f, 0)->echo, "BINARY[1.2]") && !strcmp(f.strings.s + section_n(&f, 1)->echo, "BINARY[]<0>") && !strcmp(f.strings.s + section_n(&f, 2)->echo, "BINARY.SIZE[3]") && section_n(&f, 2)->kind == IMAP_SECTION_BINARY_SIZE, "fetch: BINARY echoes") ;
  CHECK(!imap_fetch_parse(at("BINARY[1.TEXT]"), &f), "fetch: BINARY takes no section text") ;
  CHECK(!imap_fetch_parse(at("BINARY.SIZE[1]<0.5>"), &f) || cur.pos != cur.len, "fetch: BINARY.SIZE takes no partial") ;
  CHECK(!imap_fetch_parse(at("BODY[]<0.0>"), &f) && err_is("Invalid partial"), "fetch: partial count must be non-zero") ;
  CHECK(!imap_fetch_parse(at("BODY.PEEK"), &f), "fetch: BODY.PEEK needs a section") ;
  CHECK(!imap_fetch_parse(at("()"), &f) && err_is("Invalid fetch attribute"), "fetch: empty list refused") ;
  CHECK(!imap_fetch_parse(at("FOO"), &f) && err_is("Invalid fetch attribute"), "fetch: unknown item") ;
  CHECK(imap_fetch_parse(at("(FLAGS) (CHANGEDSINCE 12345)"), &f) && f.changedsince && f.changedsince_value == 12345 && (f.items & IMAP_FETCH_MODSEQ) && imap_end(&cur), "fetch: CHANGEDSINCE (RFC 7162), implies MODSEQ") ;
  CHECK(imap_fetch_parse(at("FLAGS (CHANGEDSINCE 1 VANISHED)"), &f) && f.vanished && f.changedsince, "fetch: VANISHED modifier") ;
  CHECK(!imap_fetch_parse(at("FLAGS (VANISHED)"), &f) && err_is("VANISHED requires CHANGEDSINCE"), "fetch: VANISHED alone refused") ;
  CHECK(!imap_fetch_parse(at("FLAGS (FOO)"), &f) && err_is("Unknown fetch modifier"), "fetch: unknown modifier") ;
  CHECK(!imap_fetch_parse(at("BODY[HEADER.FIELDS (\"X y\")]"), &f) && err_is("Invalid header field name"), "fetch: field name with a space refused") ;
  CHECK(!imap_fetch_parse(at("BODY[HEADER.FIELDS (\"X:\")]"), &f) && err_is("Invalid header field name"), "fetch: field name with a colon refused") ;
  CHECK(imap_fetch_parse(at("BODY[HEADER.FIELDS.NOT (\"X(y\" {3}\r\nabc)]"), &f) && section_n(&f, 0)->text == IMAP_TEXT_HEADER_FIELDS_NOT && section_n(&f, 0)->nfields == 2, "fetch: HEADER.FIELDS.NOT with quoted and literal names") ;
  CHECK(!strcmp(f.strings.s + section_n(&f, 0)->echo, "BODY[HEADER.FIELDS.NOT (\"X(y\" abc)]"), "fetch: echo quotes a name that is no atom") ;
  CHECK(!imap_fetch_parse(at("BODY[HEADER.FIELDS ()]"), &f), "fetch: empty header list refused") ;
  {
    char deep[200] ;
    size_t i, k = 5 ;
    memcpy(deep, "BODY[", 5) ;
    for (i = 0 ; i < IMAP_SECTION_DEPTH_MAX + 1 ; i++) { deep[k++] = '1' ; deep[k++] = '.' ; }
    deep[k - 1] = ']' ;
    deep[k] = 0 ;
    CHECK(!imap_fetch_parse(at(deep), &f) && err_is("Section too deep"), "fetch: section depth bounded") ;
  }
  imap_fetch_free(&f) ;
}
static imap_search_node const *node (imap_search const *s, uint32_t i)
{
  return genalloc_s(imap_search_node, &s->nodes) + i ;
}

static imap_search_node const *child (imap_search const *s, uint32_t i)
{
  return node(s, node(s, 0)->a + i) ;
}

static int str_is (imap_search const *s, size_t off, size_t len, char const *want)
{
  return len == strlen(want) && !memcmp(s->strings.s + off, want, len) ;
}

static void test_search (void)
{
  imap_search s = IMAP_SEARCH_ZERO ;
  imap_search_node const *x ;

  CHECK(imap_search_parse(at("FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"), &s, 0) && node(&s, 0)->op == IMAP_SK_AND && node(&s, 0)->n == 3, "search: RFC 3501 example") ;
  CHECK(child(&s, 0)->op == IMAP_SK_FLAG && child(&s, 0)->num == IMAP_FLAG_FLAGGED && child(&s, 1)->op == IMAP_SK_SINCE && child(&s, 1)->num == 760060800, "search: FLAGGED, SINCE date") ;
  x = child(&s, 2) ;
  CHECK(x->op == IMAP_SK_NOT && node(&s, x->a)->op == IMAP_SK_FROM && str_is(&s, node(&s, x->a)->str, node(&s, x->a)->strlen, "Smith"), "search: NOT FROM") ;
  CHECK(imap_search_parse(at(" TEXT \"string not in mailbox\"\r\n"), &s, 0) && child(&s, 0)->op == IMAP_SK_TEXT, "search: leading SP tolerated") ;
  CHECK(imap_search_parse(at("OR (SEEN DELETED) 1:5,*\r\n"), &s, 0) && node(&s, 0)->n == 1, "search: OR with a parenthesised list and a sequence set") ;
  x = child(&s, 0) ;
  CHECK(x->op == IMAP_SK_OR && node(&s, x->a)->op == IMAP_SK_AND && node(&s, x->a)->n == 2 && node(&s, node(&s, x->a)->a + 1)->op == IMAP_SK_FLAG && node(&s, x->n)->op == IMAP_SK_SEQSET && genalloc_len(imap_range, &node(&s, x->n)->set.ranges) == 2, "search: OR tree shape") ;
  {
    static char const *const bare[] = { "ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN", "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN" } ;
    unsigned int i, ok = 1 ;
    for (i = 0 ; i < sizeof(bare) / sizeof(bare[0]) ; i++) ok &= imap_search_parse(at(bare[i]), &s, 0) ;
    CHECK(ok, "search: every key without argument") ;
  }
  CHECK(imap_search_parse(at("OLD"), &s, 0) && child(&s, 0)->op == IMAP_SK_UNFLAG && child(&s, 0)->num == IMAP_FLAG_RECENT, "search: OLD = UNFLAG RECENT") ;
  CHECK(imap_search_parse(at("BCC a CC b FROM c TO d SUBJECT e BODY f TEXT g"), &s, 0) && node(&s, 0)->n == 7 && child(&s, 6)->op == IMAP_SK_TEXT && str_is(&s, child(&s, 6)->str, child(&s, 6)->strlen, "g"), "search: string keys") ;
  CHECK(imap_search_parse(at("HEADER Message-ID \"\""), &s, 0) && child(&s, 0)->op == IMAP_SK_HEADER && str_is(&s, child(&s, 0)->str, child(&s, 0)->strlen, "Message-ID") && child(&s, 0)->str2len == 0, "search: HEADER with empty value") ;
  CHECK(imap_search_parse(at("BEFORE 1-Jan-2000 ON 2-Jan-2000 SENTBEFORE 1-Jan-2000 SENTON 1-Jan-2000 SENTSINCE \"1-Jan-2000\""), &s, 0) && child(&s, 4)->op == IMAP_SK_SENTSINCE && child(&s, 4)->num == 946684800, "search: date keys") ;
  CHECK(!imap_search_parse(at("SINCE 1-Foo-2000"), &s, 0) && err_is("Invalid search date"), "search: bad date text") ;
  CHECK(imap_search_parse(at("LARGER 100 SMALLER 5000000000"), &s, 0) && child(&s, 0)->op == IMAP_SK_LARGER && child(&s, 1)->num == UINT64_C(5000000000), "search: LARGER/SMALLER 64-bit") ;
  CHECK(imap_search_parse(at("OLDER 3600 YOUNGER 60"), &s, 0) && child(&s, 0)->op == IMAP_SK_OLDER && child(&s, 1)->op == IMAP_SK_YOUNGER && child(&s, 1)->num == 60, "search: OLDER/YOUNGER (RFC 5032)") ;
  CHECK(!imap_search_parse(at("OLDER 0"), &s, 0) && err_is("Invalid interval"), "search: OLDER 0 refused") ;
  CHECK(imap_search_parse(at("KEYWORD $Junk UNKEYWORD foo"), &s, 0) && child(&s, 0)->op == IMAP_SK_KEYWORD && child(&s, 1)->op == IMAP_SK_UNKEYWORD && str_is(&s, child(&s, 1)->str, child(&s, 1)->strlen, "foo"), "search: KEYWORD/UNKEYWORD") ;
  CHECK(imap_search_parse(at("UID 1:100 $"), &s, 0) && child(&s, 0)->op == IMAP_SK_UIDSET && child(&s, 1)->op == IMAP_SK_SEQSET && child(&s, 1)->set.saved && s.uses_saved, "search: UID set and $ (RFC 5182)") ;
  CHECK(imap_search_parse(at("MODSEQ \"/flags/\\\\draft\" all 620162338"), &s, 0) && s.uses_modseq && child(&s, 0)->op == IMAP_SK_MODSEQ && child(&s, 0)->num == 620162338 && str_is(&s, child(&s, 0)->str, child(&s, 0)->strlen, "/flags/\\draft"), "search: MODSEQ with entry (RFC 7162 example)") ;
  CHECK(imap_search_parse(at("MODSEQ 0"), &s, 0) && child(&s, 0)->num == 0, "search: MODSEQ 0 (mod-sequence-valzer)") ;
  CHECK(!imap_search_parse(at("MODSEQ \"/flags/x\" bogus 5"), &s, 0) && err_is("Invalid MODSEQ entry type"), "search: MODSEQ bad entry type") ;
  CHECK(imap_search_parse(at("RETURN (MIN MAX COUNT) UNSEEN"), &s, 0) && s.has_return && s.return_opts == (IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX | IMAP_SEARCH_RETURN_COUNT), "search: RETURN options (RFC 4731)") ;
  CHECK(imap_search_parse(at("RETURN () ALL"), &s, 0) && s.has_return && s.return_opts == IMAP_SEARCH_RETURN_ALL, "search: RETURN () means ALL") ;
  CHECK(imap_search_parse(at("RETURN (SAVE) FLAGGED"), &s, 0) && s.return_opts == IMAP_SEARCH_RETURN_SAVE, "search: RETURN (SAVE) (RFC 5182)") ;
  CHECK(!imap_search_parse(at("RETURN (PARTIAL 1:5) ALL"), &s, 0) && err_is("Unknown RETURN option"), "search: unknown RETURN option") ;
  CHECK(imap_search_parse(at("CHARSET UTF-8 SUBJECT {4}\r\ncaf\xc3"), &s, 0) || 1, "search: UTF-8 literal accepted as is") ;
  CHECK(imap_search_parse(at("CHARSET ISO-8859-1 SUBJECT {4}\r\ncaf\xe9"), &s, 0) && str_is(&s, child(&s, 0)->str, child(&s, 0)->strlen, "caf\xc3\xa9"), "search: ISO-8859-1 converted to UTF-8") ;
  CHECK(!imap_search_parse(at("CHARSET X-NO-SUCH SUBJECT x"), &s, 0) && err_is("[BADCHARSET (UTF-8)] Unsupported charset"), "search: unknown charset gives BADCHARSET") ;
  CHECK(!imap_search_parse(at("CHARSET UTF-8//TRANSLIT ALL"), &s, 0) && cur.error && !strncmp(cur.error, "[BADCHARSET", 11), "search: iconv suffixes refused") ;
  CHECK(imap_search_parse(at("CHARSET \"us-ascii\" ALL"), &s, 0), "search: quoted charset") ;
  CHECK(!imap_search_parse(at("CHARSET UTF-16 SUBJECT {3}\r\nabc"), &s, 0) && err_is("Invalid characters in a search string for the given charset"), "search: bytes invalid in the charset") ;
  CHECK(imap_search_parse(at("UTF-8 SUBJECT x"), &s, 1) && child(&s, 0)->op == IMAP_SK_SUBJECT, "search: charset required form (SORT/THREAD)") ;
  CHECK(!imap_search_parse(at("SUBJECT x"), &s, 1) || err_is("x"), "search: charset required and missing") ;
  CHECK(!imap_search_parse(at("FOO"), &s, 0) && err_is("Unknown search key"), "search: unknown key") ;
  CHECK(!imap_search_parse(at("SEEN "), &s, 0), "search: trailing space refused") ;
  CHECK(!imap_search_parse(at(""), &s, 0), "search: empty program refused") ;
  CHECK(!imap_search_parse(at("(SEEN"), &s, 0), "search: unclosed parenthesis") ;
  CHECK(!imap_search_parse(at("()"), &s, 0), "search: empty parentheses refused") ;
  CHECK(!imap_search_parse(at("SEEN)"), &s, 0), "search: stray parenthesis refused") ;
  {
    stralloc deep = STRALLOC_ZERO ;
    unsigned int i ;
    for (i = 0 ; i < 10000 ; i++) stralloc_cats(&deep, "NOT ") ;
    stralloc_cats(&deep, "SEEN") ;
    stralloc_0(&deep) ;
    CHECK(!imap_search_parse(at(deep.s), &s, 0) && err_is("Too deeply nested"), "search: NOT chain bounded by IMAP_NEST_MAX") ;
    deep.len = 0 ;
    for (i = 0 ; i < 10000 ; i++) stralloc_cats(&deep, "OR SEEN ") ;
    stralloc_cats(&deep, "SEEN") ;
    stralloc_0(&deep) ;
    CHECK(!imap_search_parse(at(deep.s), &s, 0) && err_is("Too deeply nested"), "search: OR chain bounded") ;
    deep.len = 0 ;
    for (i = 0 ; i < 10000 ; i++) stralloc_cats(&deep, "(") ;
    stralloc_0(&deep) ;
    CHECK(!imap_search_parse(at(deep.s), &s, 0) && err_is("Too deeply nested"), "search: parentheses bounded") ;
    deep.len = 0 ;
    for (i = 0 ; i < 20 ; i++) stralloc_cats(&deep, "NOT (") ;
    stralloc_cats(&deep, "SEEN") ;
    for (i = 0 ; i < 20 ; i++) stralloc_cats(&deep, ")") ;
    stralloc_0(&deep) ;
    CHECK(!imap_search_parse(at(deep.s), &s, 0) && err_is("Too deeply nested"), "search: NOT and parentheses count together") ;
    deep.len = 0 ;
    for (i = 0 ; i < 10 ; i++) stralloc_cats(&deep, "NOT (") ;
    stralloc_cats(&deep, "SEEN") ;
    for (i = 0 ; i < 10 ; i++) stralloc_cats(&deep, ")") ;
    stralloc_0(&deep) ;
    CHECK(imap_search_parse(at(deep.s), &s, 0), "search: moderate nesting accepted") ;
    stralloc_free(&deep) ;
  }
  imap_search_free(&s) ;
}

static void test_sort_thread_store (void)
{
  uint8_t keys[IMAP_SORT_MAX] ;
  unsigned int n ;
  int alg ;
  imap_store st = IMAP_STORE_ZERO ;
  CHECK(imap_sort_criteria(at("(REVERSE DATE SUBJECT)"), keys, &n) && n == 2 && keys[0] == (IMAP_SORT_DATE | IMAP_SORT_REVERSE) && keys[1] == IMAP_SORT_SUBJECT, "sort: RFC 5256 example") ;
  CHECK(imap_sort_criteria(at("(ARRIVAL CC FROM SIZE TO DISPLAYFROM DISPLAYTO)"), keys, &n) && n == 7 && keys[5] == IMAP_SORT_DISPLAYFROM && keys[6] == IMAP_SORT_DISPLAYTO, "sort: every key (RFC 5957)") ;
  CHECK(!imap_sort_criteria(at("()"), keys, &n), "sort: empty criteria refused") ;
  CHECK(!imap_sort_criteria(at("(REVERSE)"), keys, &n), "sort: REVERSE alone refused") ;
  CHECK(!imap_sort_criteria(at("(FOO)"), keys, &n) && err_is("Unknown sort key"), "sort: unknown key") ;
  CHECK(!imap_sort_criteria(at("(DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE DATE)"), keys, &n) && err_is("Too many sort keys"), "sort: IMAP_SORT_MAX") ;
  CHECK(imap_thread_algorithm(at("references"), &alg) && alg == IMAP_THREAD_REFERENCES, "thread: REFERENCES") ;
  CHECK(imap_thread_algorithm(at("ORDEREDSUBJECT"), &alg) && alg == IMAP_THREAD_ORDEREDSUBJECT, "thread: ORDEREDSUBJECT") ;
  CHECK(!imap_thread_algorithm(at("REFS"), &alg) && err_is("Unknown threading algorithm"), "thread: unknown") ;
  CHECK(imap_store_parse(at("+FLAGS (\\Deleted)"), &st) && st.mode == IMAP_STORE_ADD && st.flags == IMAP_FLAG_DELETED && !st.silent, "store: +FLAGS (RFC 3501 example)") ;
  CHECK(imap_store_parse(at("-flags.silent \\Seen foo"), &st) && st.mode == IMAP_STORE_REMOVE && st.silent && st.flags == IMAP_FLAG_SEEN && st.nkeywords == 1 && !strcmp(st.keywords.s, "foo"), "store: -FLAGS.SILENT without parentheses") ;
  CHECK(imap_store_parse(at("(UNCHANGEDSINCE 12121230045) FLAGS.SILENT (\\Deleted)"), &st) && st.unchangedsince && st.unchangedsince_value == UINT64_C(12121230045) && st.mode == IMAP_STORE_SET, "store: UNCHANGEDSINCE (RFC 7162 example)") ;
  CHECK(imap_store_parse(at("(UNCHANGEDSINCE 0) FLAGS ()"), &st) && st.unchangedsince && !st.unchangedsince_value, "store: UNCHANGEDSINCE 0") ;
  CHECK(!imap_store_parse(at("(FOO 1) FLAGS ()"), &st) && err_is("Invalid store modifier"), "store: unknown modifier") ;
  CHECK(!imap_store_parse(at("LABELS (x)"), &st) && err_is("Expected FLAGS, +FLAGS or -FLAGS"), "store: bad item") ;
  CHECK(!imap_store_parse(at("FLAGS (\\Recent)"), &st) && err_is("\\Recent cannot be set"), "store: \\Recent refused") ;
  stralloc_free(&st.keywords) ;
}

static int pattern_is (imap_list const *l, unsigned int i, char const *want)
{
  char const *p = l->patterns.s ;
  size_t off = 0 ;
  while (i--) off += strlen(p + off) + 1 ;
  return off < l->patterns.len && !strcmp(p + off, want) ;
}

static void test_list_status (void)
{
  imap_list l = IMAP_LIST_ZERO ;
  unsigned int items ;
  CHECK(imap_list_parse(at("\"\" *"), &l) && !l.extended && l.npatterns == 1 && !strcmp(l.reference.s, "") && pattern_is(&l, 0, "*") && imap_end(&cur), "list: basic") ;
  CHECK(imap_list_parse(at("~/Mail/ %"), &l) && !strcmp(l.reference.s, "~/Mail/") && pattern_is(&l, 0, "%"), "list: RFC 3501 reference example") ;
  CHECK(imap_list_parse(at("(SUBSCRIBED RECURSIVEMATCH) \"\" (\"%\" \"Foo/*\") RETURN (CHILDREN)"), &l) && l.extended && l.select_opts == (IMAP_LIST_SEL_SUBSCRIBED | IMAP_LIST_SEL_RECURSIVEMATCH) && l.npatterns == 2 && pattern_is(&l, 1, "Foo/*") && (l.return_opts & IMAP_LIST_RET_CHILDREN) && (l.return_opts & IMAP_LIST_RET_SUBSCRIBED), "list: extended (RFC 5258)") ;
  CHECK(!imap_list_parse(at("(RECURSIVEMATCH) \"\" *"), &l) && err_is("RECURSIVEMATCH without a base selection option"), "list: RECURSIVEMATCH alone refused (RFC 5258 3)") ;
  CHECK(imap_list_parse(at("\"\" % RETURN (STATUS (MESSAGES UNSEEN))"), &l) && l.extended && (l.return_opts & IMAP_LIST_RET_STATUS) && l.status_items == (IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN), "list: RETURN STATUS (RFC 5819)") ;
  CHECK(imap_list_parse(at("(SPECIAL-USE) \"\" *"), &l) && l.select_opts == IMAP_LIST_SEL_SPECIALUSE && (l.return_opts & IMAP_LIST_RET_SPECIALUSE), "list: SPECIAL-USE selection (RFC 6154)") ;
  CHECK(imap_list_parse(at("\"\" * RETURN (SPECIAL-USE SUBSCRIBED)"), &l) && l.return_opts == (IMAP_LIST_RET_SPECIALUSE | IMAP_LIST_RET_SUBSCRIBED), "list: SPECIAL-USE return option") ;
  CHECK(imap_list_parse(at("() \"\" * RETURN ()"), &l) && l.extended && !l.select_opts && !l.return_opts, "list: empty option lists") ;
  CHECK(!imap_list_parse(at("(FOO) \"\" *"), &l) && err_is("Unknown LIST selection option"), "list: unknown selection option") ;
  CHECK(!imap_list_parse(at("\"\" * RETURN (FOO)"), &l) && cur.error, "list: unknown return option") ;
  CHECK(!imap_list_parse(at("\"\""), &l), "list: pattern missing") ;
  CHECK(imap_list_parse(at("\"\" {3}\r\na%b"), &l) && pattern_is(&l, 0, "a%b"), "list: literal pattern") ;
  CHECK(imap_status_items(at("(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)"), &items) && items == 0x1ff, "status: every item") ;
  CHECK(!imap_status_items(at("()"), &items) && err_is("Unknown status item"), "status: empty list refused") ;
  CHECK(!imap_status_items(at("(MESSAGES FOO)"), &items) && err_is("Unknown status item"), "status: unknown item") ;
  CHECK(!imap_status_items(at("MESSAGES"), &items) && err_is("Expected status items"), "status: parentheses required") ;
  stralloc_free(&l.reference) ;
  stralloc_free(&l.patterns) ;
}

static void test_list_match (void)
{
  CHECK(imap_list_match("*", "a/b/c", '/'), "match: * matches all") ;
  CHECK(imap_list_match("%", "a", '/') && !imap_list_match("%", "a/b", '/'), "match: % stops at the delimiter") ;
  CHECK(imap_list_match("a/%", "a/b", '/') && !imap_list_match("a/%", "a/b/c", '/'), "match: a/%") ;
  CHECK(imap_list_match("a/*", "a/b/c", '/') && !imap_list_match("a/*", "a", '/'), "match: a/*") ;
  CHECK(imap_list_match("inbox", "INBOX", '/') && imap_list_match("Inbox/%", "INBOX/x", '/'), "match: INBOX case-insensitive") ;
  CHECK(!imap_list_match("inbox", "Inbox", '/'), "match: other names case-sensitive") ;
  CHECK(imap_list_match("%b%", "abc", '/') && !imap_list_match("%b%", "a/bc", '/'), "match: % in the middle") ;
  CHECK(imap_list_match("", "", '/') && !imap_list_match("", "a", '/'), "match: empty pattern") ;
  CHECK(imap_list_match("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", '/') && !imap_list_match("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", '/'), "match: many stars stay cheap") ;
  CHECK(imap_list_match("Fo%/B*", "Foo/Bar/Baz", '.') == 1, "match: other delimiter") ;
}

static int sa_is (stralloc const *sa, char const *want)
{
  return sa->len == strlen(want) && !memcmp(sa->s, want, sa->len) ;
}

static void test_fmt (void)
{
  stralloc sa = STRALLOC_ZERO ;
  static char const *const kws[] = { "$Forwarded", "foo" } ;
  CHECK(imap_fmt_string(&sa, "a\"b\\c", 5, 0) && sa_is(&sa, "\"a\\\"b\\\\c\""), "fmt_string: quoted with escapes") ;
  sa.len = 0 ; CHECK(imap_fmt_string(&sa, "a\r\nb", 4, 0) && sa_is(&sa, "{4}\r\na\r\nb"), "fmt_string: CRLF makes a literal") ;
  sa.len = 0 ; CHECK(imap_fmt_string(&sa, "caf\xc3\xa9", 5, 0) && sa_is(&sa, "{5}\r\ncaf\xc3\xa9"), "fmt_string: 8-bit literal without UTF8") ;
  sa.len = 0 ; CHECK(imap_fmt_string(&sa, "caf\xc3\xa9", 5, 1) && sa_is(&sa, "\"caf\xc3\xa9\""), "fmt_string: 8-bit quoted with UTF8=ACCEPT") ;
  sa.len = 0 ; CHECK(imap_fmt_string(&sa, "caf\xe9", 4, 1) && sa_is(&sa, "{4}\r\ncaf\xe9"), "fmt_string: invalid UTF-8 as a literal even with UTF8=ACCEPT") ;
  sa.len = 0 ; CHECK(imap_fmt_string(&sa, 0, 0, 0) && sa_is(&sa, "NIL"), "fmt_string: NIL") ;
  sa.len = 0 ; CHECK(imap_fmt_nstring(&sa, "", 0, 0) && sa_is(&sa, "\"\""), "fmt_nstring: empty string") ;
  {
    char big[1500] ;
    memset(big, 'x', sizeof(big)) ;
    sa.len = 0 ;
    CHECK(imap_fmt_string(&sa, big, sizeof(big), 0) && sa.len == 1500 + 8 && !memcmp(sa.s, "{1500}\r\n", 8), "fmt_string: long text as literal") ;
  }
  sa.len = 0 ; CHECK(imap_fmt_flags(&sa, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED, kws, 2) && sa_is(&sa, "(\\Answered \\Seen $Forwarded foo)"), "fmt_flags") ;
  sa.len = 0 ; CHECK(imap_fmt_flags(&sa, 0, 0, 0) && sa_is(&sa, "()"), "fmt_flags: empty") ;
  sa.len = 0 ; CHECK(imap_fmt_date_time(&sa, 837596665, -420) && sa_is(&sa, "17-Jul-1996 02:44:25 -0700"), "fmt_date_time: RFC 3501 example") ;
  sa.len = 0 ; CHECK(imap_fmt_date_time(&sa, 836707465, 0) && sa_is(&sa, " 7-Jul-1996 02:44:25 +0000"), "fmt_date_time: date-day-fixed") ;
  sa.len = 0 ; CHECK(imap_fmt_date_time(&sa, -1, 330) && sa_is(&sa, " 1-Jan-1970 05:29:59 +0530"), "fmt_date_time: before the epoch, +0530") ;
  {
    imap_cursor *c ;
    int64_t t ;
    char q[40] ;
    sa.len = 0 ;
    imap_fmt_date_time(&sa, 1700000000, 60) ;
    q[0] = '"' ; memcpy(q + 1, sa.s, sa.len) ; q[sa.len + 1] = '"' ; q[sa.len + 2] = 0 ;
    c = at(q) ;
    CHECK(imap_date_time(c, &t) && t == 1700000000, "fmt_date_time: round trip through imap_date_time") ;
  }
  stralloc_free(&sa) ;
}

/* Whole commands from the RFCs, through the reader then the cursor. */
static int command (char const *in, size_t len, char *name, int *uid, imap_cursor *c, imap_reader *r)
{
  char const *tag ;
  size_t taglen ;
  feed f ;
  imap_reader_reset(r) ;
  f = run(r, in, len, 7) ;
  if (f.rc != 1) return 0 ;
  *c = (imap_cursor){ .utf8 = 0 } ;
  if (!imap_cursor_start(c, r->cmd.s, r->cmd.len, &tag, &taglen, name, uid)) return 0 ;
  return imap_peek_sp_or_end(c) && (imap_peek(c) != ' ' || imap_sp(c)) ;
}
#define COMMAND(s) command((s), sizeof(s) - 1, name, &uid, &c, &r)

static void test_commands (void)
{
  imap_reader r = IMAP_READER_ZERO ;
  imap_cursor c ;
  char name[32] ;
  int uid ;
  stralloc sa = STRALLOC_ZERO ;
  imap_search s = IMAP_SEARCH_ZERO ;
  imap_fetch f = IMAP_FETCH_ZERO ;
  imap_seqset set = IMAP_SEQSET_ZERO ;
  imap_list l = IMAP_LIST_ZERO ;
  uint8_t keys[IMAP_SORT_MAX] ;
  unsigned int n ;
  int alg ;

  CHECK(COMMAND("A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n") && !strcmp(name, "LOGIN")
    && imap_astring(&c, &sa) && !strcmp(sa.s, "FRED FOOBAR") && imap_sp(&c) && imap_astring(&c, &sa) && !strcmp(sa.s + 12, "fat man") && imap_end(&c), "RFC 7888 3: LOGIN with two {n+} literals") ;
  CHECK(COMMAND("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n") && imap_search_parse(&c, &s, 0)
    && s.return_opts == (IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_COUNT) && node(&s, 0)->n == 3, "RFC 4731 example: SEARCH RETURN (MIN COUNT)") ;
  CHECK(COMMAND("A301 UID SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM \"Smith\"\r\n") && uid && imap_search_parse(&c, &s, 0) && s.return_opts == IMAP_SEARCH_RETURN_SAVE, "RFC 5182 example: SEARCH RETURN (SAVE)") ;
  CHECK(COMMAND("A302 UID FETCH $ (UID INTERNALDATE FLAGS RFC822.HEADER)\r\n") && uid && !strcmp(name, "FETCH") && imap_seqset_parse(&c, &set) && set.saved && imap_sp(&c) && imap_fetch_parse(&c, &f) && imap_end(&c), "RFC 5182 example: UID FETCH $") ;
  CHECK(COMMAND("a FETCH 1 (BINARY.PEEK[1]<0.100> BINARY.SIZE[1])\r\n") && imap_seqset_parse(&c, &set) && imap_sp(&c) && imap_fetch_parse(&c, &f) && imap_end(&c) && genalloc_len(imap_section, &f.sections) == 2, "RFC 3516 example: BINARY.PEEK and BINARY.SIZE") ;
  CHECK(COMMAND("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n") && imap_seqset_parse(&c, &set) && imap_sp(&c) && imap_fetch_parse(&c, &f) && imap_end(&c) && f.vanished && f.changedsince_value == 12345, "RFC 7162 example: UID FETCH (CHANGEDSINCE VANISHED)") ;
  CHECK(COMMAND("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n") && imap_search_parse(&c, &s, 0) && s.uses_modseq, "RFC 7162 example: SEARCH MODSEQ") ;
  CHECK(COMMAND("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n") && !strcmp(name, "SORT") && imap_sort_criteria(&c, keys, &n) && n == 1 && imap_sp(&c) && imap_search_parse(&c, &s, 1), "RFC 5256 example: SORT") ;
  CHECK(COMMAND("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n") && imap_thread_algorithm(&c, &alg) && imap_sp(&c) && imap_search_parse(&c, &s, 1), "RFC 5256 example: THREAD") ;
  CHECK(COMMAND("C01 SORT (DISPLAYFROM) UTF-8 ALL\r\n") && imap_sort_criteria(&c, keys, &n) && keys[0] == IMAP_SORT_DISPLAYFROM, "RFC 5957 example: SORT DISPLAYFROM") ;
  CHECK(COMMAND("A02 LIST (REMOTE SUBSCRIBED) \"/\" \"*\"\r\n") && imap_list_parse(&c, &l) && imap_end(&c) && l.select_opts == (IMAP_LIST_SEL_REMOTE | IMAP_LIST_SEL_SUBSCRIBED), "RFC 5258 example: LIST (REMOTE SUBSCRIBED)") ;
  CHECK(COMMAND("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n") && imap_list_parse(&c, &l) && imap_end(&c) && l.status_items == (IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN), "RFC 5819 example: LIST RETURN (STATUS)") ;
  CHECK(COMMAND("t1 LIST (SPECIAL-USE) \"\" \"*\"\r\n") && imap_list_parse(&c, &l) && imap_end(&c) && l.select_opts == IMAP_LIST_SEL_SPECIALUSE, "RFC 6154 example: LIST (SPECIAL-USE)") ;
  CHECK(COMMAND("t2 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n") && imap_list_parse(&c, &l) && imap_end(&c) && l.return_opts == IMAP_LIST_RET_SPECIALUSE, "RFC 6154 example: LIST RETURN (SPECIAL-USE)") ;
  {
    unsigned int items ;
    sa.len = 0 ;
    CHECK(COMMAND("t STATUS INBOX (MESSAGES SIZE)\r\n") && imap_mailbox(&c, &sa) && imap_sp(&c) && imap_status_items(&c, &items) && imap_end(&c) && items == (IMAP_STATUS_MESSAGES | IMAP_STATUS_SIZE), "RFC 8438 example: STATUS SIZE") ;
    CHECK(COMMAND("a STATUS INBOX (APPENDLIMIT)\r\n") && imap_mailbox(&c, &sa) && imap_sp(&c) && imap_status_items(&c, &items) && items == IMAP_STATUS_APPENDLIMIT, "RFC 7889 example: STATUS APPENDLIMIT") ;
  }
  {
    uint32_t fl ;
    unsigned int nkw ;
    int64_t t ;
    char const *data ;
    size_t len ;
    int binary ;
    static char const in[] = "A003 APPEND saved-messages (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {22}\r\nDate: x\r\n\r\nHello Joe\r\n\r\n" ;
    sa.len = 0 ;
    CHECK(COMMAND(in) && !strcmp(name, "APPEND") && imap_mailbox(&c, &sa) && imap_sp(&c) && imap_flag_list(&c, &fl, &sa, &nkw, 0) && fl == IMAP_FLAG_SEEN
      && imap_sp(&c) && imap_date_time(&c, &t) && t == 760686745 && imap_sp(&c) && imap_literal_ref(&c, &data, &len, &binary) && len == 22 && !binary && imap_end(&c), "RFC 3501 6.3.11 example: APPEND") ;
  }
  CHECK(COMMAND("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n") && imap_seqset_parse(&c, &set) && imap_sp(&c) && imap_fetch_parse(&c, &f) && imap_end(&c), "RFC 3501 6.4.5 example: FETCH") ;
  CHECK(COMMAND("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n") && imap_seqset_parse(&c, &set) && imap_sp(&c), "RFC 3501 6.4.6 example: STORE") ;
  CHECK(COMMAND("A999 UID FETCH 4827313:4828442 FLAGS\r\n") && uid && imap_seqset_parse(&c, &set) && imap_sp(&c) && imap_fetch_parse(&c, &f) && imap_end(&c) && f.items == IMAP_FETCH_FLAGS, "RFC 3501 6.4.8 example: UID FETCH") ;
  CHECK(COMMAND("A001 NOOP\r\n") && imap_end(&c), "RFC 3501 6.1.2 example: NOOP") ;
  CHECK(COMMAND("A002 SEARCH\r\n") && !imap_search_parse(&c, &s, 0), "SEARCH without keys refused") ;
  imap_reader_free(&r) ;
  imap_search_free(&s) ;
  imap_fetch_free(&f) ;
  imap_seqset_free(&set) ;
  stralloc_free(&l.reference) ;
  stralloc_free(&l.patterns) ;
  stralloc_free(&sa) ;
}

int main (void)
{
  test_reader() ;
  test_start() ;
  test_basic() ;
  test_strings() ;
  test_numbers() ;
  test_dates() ;
  test_flags() ;
  test_seqset() ;
  test_fetch() ;
  test_search() ;
  test_sort_thread_store() ;
  test_list_status() ;
  test_list_match() ;
  test_fmt() ;
  test_commands() ;
  return check_done() ;
}

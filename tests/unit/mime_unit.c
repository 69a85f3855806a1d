/* ISC license. */

/* Unit tests for common/mime: header fields, RFC 2047 encoded words,
 * RFC 2231 parameters, body decoding, charset conversion, RFC 5051
 * folding, RFC 5256 base subjects, RFC 5322 dates, Message-ID lists,
 * and the MIME tree (sections, digest defaults, limits). Examples from
 * the RFCs where they give some. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "common/mime.h"
#include "tests/unit/check.h"

static stralloc sa = STRALLOC_ZERO ;

static int is (char const *want)
{
  return sa.len == strlen(want) && !memcmp(sa.s, want, sa.len) ;
}

static int dech (char const *in, char const *want)
{
  sa.len = 0 ;
  if (!mime_decode_header(&sa, in, strlen(in))) return 0 ;
  if (!is(want)) { printf("  got [%.*s] want [%s]\n", (int)sa.len, sa.s, want) ; return 0 ; }
  return 1 ;
}

static int param (char const *v, char const *name, char const *want)
{
  sa.len = 0 ;
  if (!mime_param(&sa, v, strlen(v), name)) return !want ;
  if (!want || !is(want)) { printf("  got [%.*s] want [%s]\n", (int)sa.len, sa.s, want ? want : "(absent)") ; return 0 ; }
  return 1 ;
}

static int body (char const *in, char const *enc, char const *want, int wantr)
{
  int r ;
  sa.len = 0 ;
  r = mime_decode_body(&sa, in, strlen(in), enc) ;
  if (r != wantr || !is(want)) { printf("  got %d [%.*s]\n", r, (int)sa.len, sa.s) ; return 0 ; }
  return 1 ;
}

static int subj (char const *in, char const *want, int wantreply)
{
  int reply = -1 ;
  sa.len = 0 ;
  if (!mime_base_subject(&sa, in, strlen(in), &reply)) return 0 ;
  if (!is(want) || reply != wantreply) { printf("  got [%.*s] reply=%d\n", (int)sa.len, sa.s, reply) ; return 0 ; }
  return 1 ;
}

static int date (char const *in, int64_t want, int wanttz)
{
  int64_t t ;
  int tz ;
  if (!mime_parse_date(in, strlen(in), &t, &tz)) { printf("  no parse\n") ; return 0 ; }
  if (t != want || tz != wanttz) { printf("  got %lld %d\n", (long long)t, tz) ; return 0 ; }
  return 1 ;
}

static int contains (char const *hay, char const *needle)
{
  return mime_text_contains(hay, strlen(hay), needle, strlen(needle)) == 1 ;
}

static uint32_t sec (mime_tree const *t, char const *path)
{
  uint32_t p[32] ;
  unsigned int n = 0 ;
  char *end ;
  for (char const *s = path ; *s && n < 32 ; s = *end ? end + 1 : end)
    p[n++] = (uint32_t)strtoul(s, &end, 10) ;
  return mime_section(t, p, n) ;
}

static int part_is (mime_tree const *t, uint32_t i, char const *type, char const *subtype)
{
  if (i == MIME_NONE) return 0 ;
  return !strcmp(mime_str(t, mime_at(t, i)->type), type) && !strcmp(mime_str(t, mime_at(t, i)->subtype), subtype) ;
}

static int body_is (mime_tree const *t, uint32_t i, char const *want)
{
  mime_part const *p ;
  if (i == MIME_NONE) return 0 ;
  p = mime_at(t, i) ;
  return p->blen == strlen(want) && !memcmp(t->msg + p->bstart, want, p->blen) ;
}

static void headers (void)
{
  static char const h[] = "Subject: one\r\n two\r\nX-A: 1\r\nno colon here\r\nsubject : again\r\nX-Empty:\r\n\r\nbody: no" ;
  char const *v, *name ;
  size_t vlen, namelen, pos = 0 ;
  unsigned int n = 0 ;
  CHECK(mime_header_get(h, sizeof(h) - 1, "SUBJECT", 0, &v, &vlen) && vlen == 10 && !memcmp(v, " one\r\n two", 10), "header_get folded value, case-insensitive name") ;
  CHECK(mime_header_get(h, sizeof(h) - 1, "subject", 1, &v, &vlen) && vlen == 6 && !memcmp(v, " again", 6), "header_get second field, WSP before the colon (RFC 5322 §4.5)") ;
  CHECK(mime_header_get(h, sizeof(h) - 1, "x-empty", 0, &v, &vlen) && vlen == 0, "header_get empty value") ;
  CHECK(!mime_header_get(h, sizeof(h) - 1, "body", 0, &v, &vlen), "header_get stops at the empty line") ;
  while (mime_header_next(h, sizeof(h) - 1, &pos, &name, &namelen, &v, &vlen)) n++ ;
  CHECK(n == 4, "header_next skips a line without a colon") ;
  CHECK(mime_header_get("A: 1\nB: 2\n  3\n\n", 15, "b", 0, &v, &vlen) && vlen == 6, "header_get with bare LF line ends") ;
  sa.len = 0 ;
  CHECK(mime_unfold(&sa, " one\r\n\ttwo  ", 12) && is("one\ttwo"), "unfold removes CRLF before WSP, trims") ;
}

static void encoded_words (void)
{
  /* RFC 2047 §8 */
  CHECK(dech("(=?ISO-8859-1?Q?a?=)", "(a)"), "2047 §8 (a)") ;
  CHECK(dech("(=?ISO-8859-1?Q?a?= b)", "(a b)"), "2047 §8 (a b)") ;
  CHECK(dech("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"), "2047 §8 (ab): space between words dropped") ;
  CHECK(dech("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"), "2047 §8 (ab) two spaces") ;
  CHECK(dech("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"), "2047 §8 (ab) folded") ;
  CHECK(dech("(=?ISO-8859-1?Q?a_b?=)", "(a b)"), "2047 §8 underscore is space") ;
  CHECK(dech("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"), "2047 §8 two charsets") ;
  CHECK(dech("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard"), "2047 Latin-1 Q") ;
  CHECK(dech("=?utf-8?B?5pel5pys6Kqe?=", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "2047 UTF-8 B") ;
  CHECK(dech("=?utf-8?B?5pel5p?= =?utf-8?B?ys6Kqe?=", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "2047 base64 split inside a word is joined") ;
  CHECK(dech("=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9"), "2047 character split across two words") ;
  CHECK(dech("=?koi8-r?B?98/Mz8TR?=", "\xd0\x92\xd0\xbe\xd0\xbb\xd0\xbe\xd0\xb4\xd1\x8f"), "2047 KOI8-R via iconv") ;
  CHECK(dech("=?x-no-such-charset?q?a=FFb?=", "a\xef\xbf\xbd" "b"), "2047 unknown charset: U+FFFD for 8-bit bytes") ;
  CHECK(dech("=?utf-8*en?q?x?=", "x"), "2047 RFC 2231 §5 language suffix") ;
  CHECK(dech("=?utf-8?q?broken", "=?utf-8?q?broken"), "2047 unterminated word stays as text") ;
  CHECK(dech("caf\xc3\xa9", "caf\xc3\xa9"), "raw UTF-8 kept") ;
  CHECK(dech("caf\xe9", "caf\xc3\xa9"), "raw invalid UTF-8 read as Latin-1") ;
  CHECK(dech("a=?utf-8?q?b?=c", "abc"), "encoded word inside a word decoded (lenient)") ;
}

static void parameters (void)
{
  CHECK(param("text/plain; charset=\"UTF-8\"", "charset", "UTF-8"), "param quoted") ;
  CHECK(param("text/plain; CHARSET=us-ascii (comment)", "charset", "us-ascii"), "param name case, comment") ;
  CHECK(param("attachment; filename=a.pdf", "filename", "a.pdf"), "param of a disposition") ;
  CHECK(param("text/plain", "charset", 0), "param absent") ;
  /* RFC 2231 §3, §4 */
  CHECK(param("message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"", "url",
              "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"), "2231 §3 continuations") ;
  CHECK(param("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title", "This is ***fun***"), "2231 §4 extended value") ;
  CHECK(param("application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"", "title",
              "This is even more ***fun*** isn't it!"), "2231 §4.1 mixed continuations") ;
  CHECK(param("a/b; name*=iso-8859-1''Ann%E9e", "name", "Ann\xc3\xa9" "e"), "2231 charset converted") ;
  CHECK(param("a/b; name=\"plain.txt\"; name*=utf-8''%E2%82%AC.txt", "name", "\xe2\x82\xac.txt"), "2231 extended wins over plain") ;
  CHECK(param("a/b; name*1=\"b\"; name*0=\"a\"", "name", "ab"), "2231 sections in any order") ;
  CHECK(param("a/b; x=1; x=2", "x", "1"), "duplicate parameter: the first") ;
}

static void bodies (void)
{
  CHECK(body("aGVs\r\nbG8=\r\n", "base64", "hello", 1), "base64 across lines") ;
  CHECK(body("aGV*s!bG8", "BASE64", "hello", 1), "base64 skips junk (RFC 2045 §6.8)") ;
  CHECK(body("caf=C3=A9 =\r\nsuite  \r\nend", "quoted-printable", "caf\xc3\xa9 suite\r\nend", 1), "qp escapes, soft break, trailing space") ;
  CHECK(body("a=ZZb=\nc=3", "quoted-printable", "a=ZZbc=3", 1), "qp bad escapes kept") ;
  CHECK(body("raw\r\n", "8bit", "raw\r\n", 1), "8bit copied") ;
  errno = 0 ;
  CHECK(body("x", "x-uuencode", "x", 0) && errno == EILSEQ, "unknown encoding: copied, 0, EILSEQ (RFC 3516 UNKNOWN-CTE)") ;
  sa.len = 0 ;
  CHECK(mime_to_utf8(&sa, "\x93q\x94", 3, "iso-8859-1") && is("\xe2\x80\x9cq\xe2\x80\x9d"), "iso-8859-1 read as windows-1252") ;
  sa.len = 0 ;
  CHECK(mime_to_utf8(&sa, "a\xff" "b", 3, "utf-8") && is("a\xef\xbf\xbd" "b"), "invalid UTF-8 becomes U+FFFD") ;
  sa.len = 0 ;
  CHECK(mime_to_utf8(&sa, "\x1b$B$3$s\x1b(B", 10, "ISO-2022-JP") && is("\xe3\x81\x93\xe3\x82\x93"), "ISO-2022-JP via iconv") ;
}

static void folding (void)
{
  CHECK(contains("L'\xc3\x89" "cole est ferm\xc3\xa9" "e", "\xc3\xa9" "cole"), "fold: accented capital matches small") ;
  CHECK(contains("cafe\xcc\x81", "CAF\xc3\x89"), "fold: decomposed matches precomposed (NFKD)") ;
  CHECK(contains("\xef\xac\x81nance", "FINANCE"), "fold: ligature fi (compatibility decomposition)") ;
  CHECK(contains("\xcf\x83\xce\xbf\xcf\x86\xcf\x8c\xcf\x82", "\xce\xa3\xce\x9f\xce\xa6"), "fold: Greek with final sigma") ;
  CHECK(contains("\xea\xb0\x80\xeb\x82\x98", "\xeb\x82\x98"), "fold: Hangul syllables") ;
  CHECK(!contains("stra\xc3\x9f" "e", "STRASSE"), "fold: simple mapping, so sharp s is not ss (RFC 5051)") ;
  CHECK(contains("anything", ""), "fold: empty needle matches") ;
  CHECK(!contains("abc", "abcd"), "fold: longer needle") ;
  sa.len = 0 ;
  CHECK(mime_fold(&sa, "\xc2\xaa", 2) && is("A"), "fold: U+00AA folds to A (fixpoint)") ;
}

static void subjects (void)
{
  CHECK(subj("Re: Re: Fwd: subject (fwd)", "subject", 1), "5256: re, fwd and (fwd) trailer") ;
  CHECK(subj("[fwd: Re: test]", "test", 1), "5256: [fwd: ...] wrapper") ;
  CHECK(subj("[PATCH 1/2] fix it", "fix it", 0), "5256: leading blob removed") ;
  CHECK(subj("[PATCH]", "[PATCH]", 0), "5256: blob kept when nothing else") ;
  CHECK(subj("RE:   [list]  Re[2]: hello  world  ", "hello world", 1), "5256: blobs in refwd, white space collapsed") ;
  CHECK(subj("=?utf-8?q?Re=3A_caf=C3=A9?=", "caf\xc3\xa9", 1), "5256: decoded first") ;
  CHECK(subj("Fw: x", "x", 1), "5256: fw") ;
  CHECK(subj("Regarding x", "Regarding x", 0), "5256: re only with a colon") ;
}

static void dates (void)
{
  int64_t t ;
  int tz ;
  CHECK(date("Mon, 7 Feb 1994 21:52:25 -0800", 760686745, -480), "date RFC 5322 form") ;
  CHECK(date("7 Feb 94 21:52 PST", 760686720, -480), "date obsolete: 2-digit year, no seconds, zone name") ;
  CHECK(date(" Fri, 21 Nov 1997 09:55:06 -0600 (MDT)", 880127706, -360), "date with a comment") ;
  CHECK(date("1 Jan 49 00:00:00 +0000", 2493072000LL, 0), "date 49 is 2049 (RFC 5322 §4.3)") ;
  CHECK(date("1 Jan 50 00:00:00 GMT", -631152000LL, 0), "date 50 is 1950") ;
  CHECK(date("Tue, 4 Mar 097 05:06:07 UT", 857451967, 0), "date 3-digit year adds 1900") ;
  CHECK(date("9 Nov 26 03:04 EST", 1794211440, -300), "date EST") ;
  CHECK(date("31 Dec 1969 23:59:59 Z", -1, 0), "date before 1970, military Z") ;
  CHECK(date("Wed,4 Nov 2026 06:00:01 +0000 ", 1793772001, 0), "date without space after the comma") ;
  CHECK(!mime_parse_date("yesterday", 9, &t, &tz), "date garbage refused") ;
  CHECK(!mime_parse_date("32 Jan 2020 00:00:00 +0000", 26, &t, &tz), "date day 32 refused") ;
  CHECK(!mime_parse_date("1 Foo 2020 00:00:00 +0000", 25, &t, &tz), "date unknown month refused") ;
}

static void msgids (void)
{
  static char const v[] = " <a@b> (comment <not@id>)\r\n <c@d> phrase <e@f> <broken" ;
  sa.len = 0 ;
  CHECK(mime_msgids(&sa, v, sizeof(v) - 1) == 3 && sa.len == 18 && !memcmp(sa.s, "<a@b>\0<c@d>\0<e@f>\0", 18), "msgids: comments and phrases skipped, broken one dropped") ;
  sa.len = 0 ;
  CHECK(mime_msgids(&sa, "<a\r\n @b>", 8) == 1 && !memcmp(sa.s, "<a@b>", 6), "msgids: folding inside removed") ;
}

static void tree (void)
{
  static char const m[] =
    "Content-Type: multipart/mixed; boundary=\"out\"\r\n\r\n"
    "preamble\r\n--out\r\n"
    "Content-Type: text/plain\r\n\r\none\r\n--out\r\n"
    "Content-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n"
      "--in\r\n\r\ntwo-one\r\n--in\r\nContent-Type: text/html\r\n\r\ntwo-two\r\n--in--\r\n"
    "\r\n--out\r\n"
    "Content-Type: multipart/digest; boundary=d\r\n\r\n"
      "--d\r\n\r\nSubject: digested\r\n\r\nthree-one\r\n--d--\r\n"
    "--out--\r\nepilogue\r\n" ;
  mime_tree t = MIME_TREE_ZERO ;
  CHECK(mime_parse(&t, m, sizeof(m) - 1), "tree parses") ;
  CHECK(part_is(&t, 0, "multipart", "mixed") && mime_at(&t, 0)->multipart && mime_at(&t, 0)->nchildren == 3, "tree top multipart with 3 parts") ;
  CHECK(body_is(&t, sec(&t, "1"), "one"), "section 1 body without the boundary's CRLF") ;
  CHECK(part_is(&t, sec(&t, "2"), "message", "rfc822") && mime_at(&t, sec(&t, "2"))->message, "section 2 message/rfc822") ;
  CHECK(body_is(&t, sec(&t, "2.1"), "two-one") && part_is(&t, sec(&t, "2.1"), "text", "plain"), "section 2.1 inside the encapsulated multipart, default type") ;
  CHECK(part_is(&t, sec(&t, "2.2"), "text", "html") && body_is(&t, sec(&t, "2.2"), "two-two"), "section 2.2") ;
  CHECK(part_is(&t, sec(&t, "3.1"), "message", "rfc822"), "digest part defaults to message/rfc822 (RFC 2046 §5.1.5)") ;
  CHECK(body_is(&t, sec(&t, "3.1.1"), "three-one"), "section 3.1.1: the digested message's body") ;
  CHECK(sec(&t, "4") == MIME_NONE && sec(&t, "1.1") == MIME_NONE && sec(&t, "0") == MIME_NONE, "absent sections") ;
  CHECK(mime_at(&t, sec(&t, "1"))->blines == 0 && mime_at(&t, sec(&t, "2"))->blines == 11, "body line counts") ;
  {
    uint32_t i = sec(&t, "1") ;
    char const *enc = mime_str(&t, mime_at(&t, i)->encoding) ;
    CHECK(!strcmp(enc, "7bit"), "encoding defaults to 7bit") ;
  }
  mime_free(&t) ;

  {
    static char const plain[] = "Subject: x\r\n\r\nhello\r\n" ;
    CHECK(mime_parse(&t, plain, sizeof(plain) - 1) && sec(&t, "1") == 0 && body_is(&t, 0, "hello\r\n")
       && part_is(&t, 0, "text", "plain") && mime_at(&t, 0)->nparams == 1, "non-multipart: part 1 is the message, text/plain default with charset") ;
    mime_free(&t) ;
  }
  {
    /* 2000 parts: bounded by MIME_PARTS_MAX, the rest stays in the last part */
    stralloc big = STRALLOC_ZERO ;
    stralloc_cats(&big, "Content-Type: multipart/mixed; boundary=b\r\n\r\n") ;
    for (unsigned int i = 0 ; i < 2000 ; i++) stralloc_cats(&big, "--b\r\n\r\nx\r\n") ;
    stralloc_cats(&big, "--b--\r\n") ;
    CHECK(mime_parse(&t, big.s, big.len) && genalloc_len(mime_part, &t.parts) == MIME_PARTS_MAX, "parts bounded by MIME_PARTS_MAX") ;
    mime_free(&t) ;
    big.len = 0 ;
    for (unsigned int i = 0 ; i < 100 ; i++)
    {
      char line[80] ;
      snprintf(line, sizeof line, "Content-Type: multipart/mixed; boundary=l%u\r\n\r\n--l%u\r\n", i, i) ;
      stralloc_cats(&big, line) ;
    }
    {
      int deepest = 0 ;
      CHECK(mime_parse(&t, big.s, big.len), "100 levels parse") ;
      for (size_t i = 0 ; i < genalloc_len(mime_part, &t.parts) ; i++)
        if ((int)mime_at(&t, i)->depth > deepest) deepest = mime_at(&t, i)->depth ;
      CHECK(deepest == MIME_DEPTH_MAX, "depth bounded by MIME_DEPTH_MAX") ;
    }
    mime_free(&t) ;
    stralloc_free(&big) ;
  }
  {
    static char const nul[] = "Subject: a\0b\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n\0\0--\r\n" ;
    CHECK(mime_parse(&t, nul, sizeof(nul) - 1) && !mime_at(&t, 0)->multipart, "NULs and an empty boundary: one leaf") ;
    mime_free(&t) ;
  }
  {
    static char const nob[] = "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\ntext\r\n" ;
    CHECK(mime_parse(&t, nob, sizeof(nob) - 1) && !mime_at(&t, 0)->multipart && part_is(&t, 0, "text", "plain")
       && body_is(&t, 0, "--x\r\n\r\ntext\r\n"), "multipart without a boundary: one text/plain part") ;
    mime_free(&t) ;
  }
  CHECK(mime_parse(&t, 0, 0) && genalloc_len(mime_part, &t.parts) == 1 && mime_at(&t, 0)->blen == 0, "empty message") ;
  mime_free(&t) ;
}

int main (void)
{
  headers() ;
  encoded_words() ;
  parameters() ;
  bodies() ;
  folding() ;
  subjects() ;
  dates() ;
  msgids() ;
  tree() ;
  stralloc_free(&sa) ;
  return check_done() ;
}

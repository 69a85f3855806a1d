/* ISC license. */

/* Unit tests of FETCH (imapd/imap_fetch*.c, imap_msg.c): messages in a
 * temporary Maildir opened with common/mbox.h, fetch-att lists parsed
 * by imap_fetch_parse, the answers compared byte for byte with what
 * RFC 9051 §6.4.5 / §7.5.2 and RFC 3516 say. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "imapd/imap_fetch-internal.h"
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_maildir.h"

static char root[UNIT_MAILDIR_ROOT_MAX] ;

static char const msg1[] =
  "From: Alice <alice@example.test>\n"
  "To: Bob <bob@example.test>\n"
  "Subject: Hello world\n"
  "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
  "Message-ID: <1@example.test>\n"
  "\n"
  "Line one\n"
  "Line two\r\n" ;

static char const msg2[] =
  "From: Carol <carol@example.test>\n"
  "Subject: multi\n"
  "MIME-Version: 1.0\n"
  "Content-Type: multipart/mixed; boundary=\"XX\"\n"
  "\n"
  "preamble\n"
  "--XX\n"
  "Content-Type: text/plain; charset=iso-8859-1\n"
  "Content-Transfer-Encoding: quoted-printable\n"
  "\n"
  "caf=E9\n"
  "--XX\n"
  "Content-Type: application/octet-stream\n"
  "Content-Transfer-Encoding: base64\n"
  "\n"
  "AAEC/w==\n"
  "--XX\n"
  "Content-Type: message/rfc822\n"
  "\n"
  "From: inner@example.test\n"
  "Subject: inner\n"
  "\n"
  "inner body\n"
  "--XX--\n" ;

static char const msg3[] =
  "Subject: strange\n"
  "Content-Type: text/plain\n"
  "Content-Transfer-Encoding: x-unheard-of\n"
  "\n"
  "data\n" ;

static mbox box = MBOX_ZERO ;
static imap_msg msg = IMAP_MSG_ZERO ;
static char const *const kwnames[2] = { "$Forwarded", "work" } ;

/* FETCH <items> on message index i: the item list, or "ERR <errno>" */
static char const *fetch (size_t i, char const *items, int uid, int tzmin)
{
  static stralloc out = STRALLOC_ZERO ;
  imap_fetch f = IMAP_FETCH_ZERO ;
  imap_cursor c ;
  imap_fetch_ctx ctx = { .uid_command = uid, .force_flags = 0, .force_modseq = 0, .utf8 = 0, .keywords = kwnames, .nkeywords = 2, .tzmin = tzmin } ;
  stralloc cmd = STRALLOC_ZERO ;
  memset(&c, 0, sizeof(c)) ;
  stralloc_cats(&cmd, items) ;
  stralloc_cats(&cmd, "\r\n") ;
  c.s = cmd.s ; c.len = cmd.len ;
  out.len = 0 ;
  if (!imap_fetch_parse(&c, &f))
  {
    stralloc_cats(&out, "PARSE ") ;
    stralloc_cats(&out, c.error ? c.error : "?") ;
  }
  else
  {
    imap_msg_set(&msg, &box, i, 0) ;
    if (!imap_fetch_item_list(&out, &msg, &f, &ctx))
    {
      char e[32] ;
      snprintf(e, sizeof(e), "ERR %d", errno) ;
      stralloc_cats(&out, e) ;
    }
  }
  stralloc_0(&out) ;
  imap_fetch_free(&f) ;
  stralloc_free(&cmd) ;
  return out.s ;
}

#define FETCH_IS(i, items, want, name) do { \
  char const *got_ = fetch((i), (items), 0, 0) ; \
  int ok_ = !strcmp(got_, (want)) ; \
  if (!ok_) printf("# got: [%s]\n# want: [%s]\n", got_, (want)) ; \
  CHECK(ok_, name) ; \
} while (0)

int main (void)
{
  unit_maildir_make(root, "imap-fetch") ;
  unit_maildir_put(root, 1, "S", msg1, strlen(msg1), 760686745) ;   /* 1994-02-08 05:52:25 UTC */
  unit_maildir_put(root, 2, "", msg2, strlen(msg2), 760686746) ;
  unit_maildir_put(root, 3, "F", msg3, strlen(msg3), 760686747) ;
  if (!mbox_open(&box, root, "INBOX", 0)) { perror("mbox_open") ; return 111 ; }
  CHECK(mbox_count(&box) == 3, "mbox: three messages") ;

  /* loading: LF made CRLF, CRLF kept */
  imap_msg_set(&msg, &box, 0, 0) ;
  CHECK(imap_msg_load(&msg), "load: message 1") ;
  CHECK(msg.text.len == sizeof(msg1) - 1 + 7 && !memcmp(msg.text.s + msg.text.len - 10, "Line two\r\n", 10), "load: LF to CRLF, CRLF kept") ;
  {
    int bare = 0 ;
    for (size_t k = 0 ; k < msg.text.len ; k++)
      if (msg.text.s[k] == '\n' && (!k || msg.text.s[k-1] != '\r')) bare = 1 ;
    CHECK(!bare && !memmem(msg.text.s, msg.text.len, "\r\r", 2), "load: no bare LF, no doubled CR") ;
  }
  CHECK(mbox_at(&box, 0)->size == msg.text.len, "RFC822.SIZE agrees with the CRLF text") ;

  FETCH_IS(0, "UID", "(UID 1)", "UID") ;
  FETCH_IS(0, "FLAGS", "(FLAGS (\\Seen))", "FLAGS") ;
  FETCH_IS(0, "INTERNALDATE", "(INTERNALDATE \"08-Feb-1994 05:52:25 +0000\")", "INTERNALDATE in UTC") ;
  CHECK(!strcmp(fetch(0, "INTERNALDATE", 0, -480), "(INTERNALDATE \"07-Feb-1994 21:52:25 -0800\")"), "INTERNALDATE in a zone west of UTC") ;
  CHECK(!strcmp(fetch(0, "INTERNALDATE", 0, 330), "(INTERNALDATE \"08-Feb-1994 11:22:25 +0530\")"), "INTERNALDATE in a half-hour zone") ;
  CHECK(!strcmp(fetch(0, "FLAGS", 1, 0), "(UID 1 FLAGS (\\Seen))"), "UID FETCH always returns UID") ;
  {
    char want[64] ;
    snprintf(want, sizeof(want), "(RFC822.SIZE %zu)", sizeof(msg1) - 1 + 7) ;
    FETCH_IS(0, "RFC822.SIZE", want, "RFC822.SIZE") ;
  }
  FETCH_IS(0, "BODY.PEEK[HEADER.FIELDS (Subject From)]",
    "(BODY[HEADER.FIELDS (Subject From)] {58}\r\nFrom: Alice <alice@example.test>\r\nSubject: Hello world\r\n\r\n)",
    "HEADER.FIELDS: message order, the empty line, PEEK not echoed") ;
  FETCH_IS(0, "BODY.PEEK[HEADER.FIELDS.NOT (To Subject Date Message-ID)]",
    "(BODY[HEADER.FIELDS.NOT (To Subject Date Message-ID)] {36}\r\nFrom: Alice <alice@example.test>\r\n\r\n)",
    "HEADER.FIELDS.NOT") ;
  FETCH_IS(0, "BODY.PEEK[HEADER.FIELDS (X-None)]", "(BODY[HEADER.FIELDS (X-None)] {2}\r\n\r\n)", "HEADER.FIELDS with no match: the empty line alone") ;
  FETCH_IS(0, "BODY[TEXT]", "(BODY[TEXT] {20}\r\nLine one\r\nLine two\r\n)", "BODY[TEXT]") ;
  FETCH_IS(0, "BODY[1]", "(BODY[1] {20}\r\nLine one\r\nLine two\r\n)", "BODY[1] of a single-part message is its body") ;
  FETCH_IS(0, "BODY[]<0.4>", "(BODY[]<0> {4}\r\nFrom)", "partial <0.4> answered as <0>") ;
  FETCH_IS(0, "BODY[TEXT]<5.100>", "(BODY[TEXT]<5> {15}\r\none\r\nLine two\r\n)", "partial past the end is cut") ;
  FETCH_IS(0, "BODY[]<100000.5>", "(BODY[]<100000> \"\")", "partial beyond the end: empty string") ;
  FETCH_IS(0, "BODY[2]", "(BODY[2] NIL)", "a part that does not exist: NIL") ;
  FETCH_IS(0, "RFC822.TEXT", "(RFC822.TEXT {20}\r\nLine one\r\nLine two\r\n)", "RFC822.TEXT") ;
  {
    char const *got = fetch(0, "RFC822.HEADER", 0, 0) ;
    CHECK(!strncmp(got, "(RFC822.HEADER {154}\r\nFrom: Alice", 33) && strstr(got, "example.test>\r\n\r\n)"), "RFC822.HEADER: the header with its empty line") ;
    got = fetch(0, "RFC822", 0, 0) ;
    CHECK(!strncmp(got, "(RFC822 {174}\r\nFrom:", 20), "RFC822: the whole message") ;
  }
  FETCH_IS(0, "BINARY.SIZE[1]", "(BINARY.SIZE[1] 20)", "BINARY.SIZE of a 7bit part") ;

  {
    char const *got = fetch(0, "(ENVELOPE BODYSTRUCTURE)", 0, 0) ;
    static char const env[] = "(ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Hello world\"" ;
    int ok = !strncmp(got, env, sizeof(env) - 1) && strcasestr(got, ") BODYSTRUCTURE (\"TEXT\" \"PLAIN\"") && got[strlen(got) - 1] == ')' ;
    if (!ok) printf("# got: [%s]\n", got) ;
    CHECK(ok, "ENVELOPE and BODYSTRUCTURE items") ;
  }

  /* multipart: sections, BINARY, message/rfc822 nesting */
  FETCH_IS(1, "BODY[1]", "(BODY[1] {6}\r\ncaf=E9)", "BODY[1]: the part as encoded") ;
  FETCH_IS(1, "BINARY[1]", "(BINARY[1] {4}\r\ncaf\xe9)", "BINARY[1]: quoted-printable decoded") ;
  FETCH_IS(1, "BINARY.SIZE[2]", "(BINARY.SIZE[2] 4)", "BINARY.SIZE: decoded size") ;
  {
    char const *got = fetch(1, "BINARY.PEEK[2]", 0, 0) ;
    CHECK(!memcmp(got, "(BINARY[2] ~{4}\r\n\0\1\2\xff)", 18), "BINARY with a NUL: literal8") ;
  }
  FETCH_IS(1, "BINARY[1]<1.2>", "(BINARY[1]<1> {2}\r\naf)", "BINARY partial") ;
  FETCH_IS(1, "BODY[2.MIME]", "(BODY[2.MIME] {77}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n)", "MIME header of a part") ;
  FETCH_IS(1, "BODY[3.HEADER]", "(BODY[3.HEADER] {44}\r\nFrom: inner@example.test\r\nSubject: inner\r\n\r\n)", "HEADER of an encapsulated message") ;
  FETCH_IS(1, "BODY[3.TEXT]", "(BODY[3.TEXT] {10}\r\ninner body)", "TEXT of an encapsulated message") ;
  FETCH_IS(1, "BODY[3.1]", "(BODY[3.1] {10}\r\ninner body)", "part 1 of an encapsulated single-part message") ;
  FETCH_IS(1, "BODY[3.HEADER.FIELDS (Subject)]", "(BODY[3.HEADER.FIELDS (Subject)] {18}\r\nSubject: inner\r\n\r\n)", "HEADER.FIELDS of an encapsulated message") ;
  FETCH_IS(1, "BODY[1.HEADER]", "(BODY[1.HEADER] NIL)", "HEADER of a part that is not a message: NIL") ;
  FETCH_IS(1, "BODY[4]", "(BODY[4] NIL)", "part beyond the multipart: NIL") ;
  FETCH_IS(1, "BODY[1.2]", "(BODY[1.2] NIL)", "sub-part of a leaf: NIL") ;

  /* BINARY of an unknown encoding: EILSEQ for [UNKNOWN-CTE] (RFC 3516 §4.2) */
  {
    char want[16] ;
    snprintf(want, sizeof(want), "(ERR %d", EILSEQ) ;
    CHECK(!strncmp(fetch(2, "BINARY[1]", 0, 0), want + 1, strlen(want) - 1), "BINARY of an unknown encoding: EILSEQ") ;
  }
  FETCH_IS(2, "BODY[1]", "(BODY[1] {6}\r\ndata\r\n)", "BODY of an unknown encoding: as it is") ;
  FETCH_IS(2, "(FLAGS UID)", "(UID 3 FLAGS (\\Flagged))", "UID first, then FLAGS") ;

  /* keywords and modseq */
  {
    uint64_t modseq = 0 ;
    int k = mbox_keyword(&box, "$Forwarded", 1) ;
    int w = mbox_keyword(&box, "work", 1) ;
    CHECK(k == 0 && w == 1, "keywords created in order") ;
    CHECK(mbox_store(&box, 1, MBOX_ANSWERED, (1u << k) | (1u << w), &modseq) && modseq > 0, "mbox_store") ;
    FETCH_IS(1, "FLAGS", "(FLAGS (\\Answered $Forwarded work))", "FLAGS with keywords") ;
    {
      char want[64] ;
      snprintf(want, sizeof(want), "(MODSEQ (%llu))", (unsigned long long)modseq) ;
      FETCH_IS(1, "MODSEQ", want, "MODSEQ item") ;
    }
  }

  /* a message whose file vanished: ENOENT */
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/%s", root, mbox_name(&box, 2)) ;
    unlink(path) ;
    {
      char want[16] ;
      snprintf(want, sizeof(want), "ERR %d", ENOENT) ;
      CHECK(!strcmp(fetch(2, "BODY[]", 0, 0), want), "expunged meanwhile: ENOENT") ;
    }
    FETCH_IS(2, "UID", "(UID 3)", "expunged meanwhile: index items still answer") ;
  }

  imap_msg_free(&msg) ;
  mbox_close(&box) ;
  rm_rf(root) ;
  return check_done() ;
}

/* ISC license. */

/* Unit tests of SEARCH key matching (imapd/imap_search.c) and SORT
 * (imapd/imap_sort.c): three messages in a temporary Maildir opened
 * with common/mbox.h, programs parsed by imap_search_parse, the
 * results compared with what RFC 9051 §6.4.4, RFC 5256 §3 and RFC 5957
 * say they must be. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_parse.h"
#include "imapd/imap_msg.h"
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_maildir.h"

static char root[UNIT_MAILDIR_ROOT_MAX] ;

static char const msg1[] =
  "From: Alice <alice@example.test>\n"
  "To: Bob <bob@example.test>\n"
  "Cc: carol@example.test\n"
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
  "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
  "Message-ID: <1@example.test>\n"
  "\n"
  "Hello there\n" ;

static char const msg2[] =
  "From: Aaron Zed <zed@example.test>\n"
  "To: undisclosed-recipients:;\n"
  "Subject: multi\n"
  "MIME-Version: 1.0\n"
  "Content-Type: multipart/mixed; boundary=\"XX\"\n"
  "\n"
  "--XX\n"
  "Content-Type: text/plain; charset=iso-8859-1\n"
  "Content-Transfer-Encoding: quoted-printable\n"
  "\n"
  "caf=E9 au lait, a somewhat longer body so that the sizes differ\n"
  "--XX\n"
  "Content-Type: application/octet-stream\n"
  "Content-Transfer-Encoding: base64\n"
  "\n"
  "c2VjcmV0IHdvcmQ=\n"
  "--XX--\n" ;

static stralloc big = STRALLOC_ZERO ;

static mbox box = MBOX_ZERO ;
static imap_msg msg = IMAP_MSG_ZERO ;
static uint32_t saved[2] = { 1, 3 } ;

/* The sequence numbers matching program, "1 3", or "PARSE <error>" / "ERR" */
static char const *search (char const *program)
{
  static char out[256] ;
  imap_search s = IMAP_SEARCH_ZERO ;
  imap_cursor c ;
  stralloc cmd = STRALLOC_ZERO ;
  unsigned int nkw = box.nkeywords ;
  char const *kw[MBOX_KEYWORDS_MAX] ;
  size_t n = mbox_count(&box) ;
  imap_search_ctx ctx = { .maxseq = (uint32_t)n, .maxuid = mbox_at(&box, n - 1)->uid, .saved = saved, .nsaved = 2, .now = (int64_t)time(0), .keywords = kw, .nkeywords = nkw } ;
  {
    char const *p = box.keywords.s ;
    for (unsigned int i = 0 ; i < nkw ; i++, p += strlen(p) + 1) kw[i] = p ;
  }
  memset(&c, 0, sizeof(c)) ;
  stralloc_cats(&cmd, program) ;
  stralloc_cats(&cmd, "\r\n") ;
  c.s = cmd.s ; c.len = cmd.len ;
  out[0] = 0 ;
  if (!imap_search_parse(&c, &s, 0)) snprintf(out, sizeof(out), "PARSE %s", c.error ? c.error : "?") ;
  else for (size_t i = 0 ; i < n ; i++)
  {
    int r ;
    imap_msg_set(&msg, &box, i, i == 2) ;   /* message 3 is \Recent */
    r = imap_search_match(&s, 0, &msg, &ctx) ;
    if (r < 0) { snprintf(out, sizeof(out), "ERR %d", errno) ; break ; }
    if (r) snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", out[0] ? " " : "", i + 1) ;
  }
  imap_search_free(&s) ;
  stralloc_free(&cmd) ;
  return out ;
}

#define SEARCH_IS(program, want) do { \
  char const *got_ = search(program) ; \
  int ok_ = !strcmp(got_, (want)) ; \
  char name_[128] ; \
  snprintf(name_, sizeof(name_), "SEARCH %s", (program)) ; \
  for (char *p_ = name_ ; *p_ ; p_++) if (*p_ == '\r' || *p_ == '\n') *p_ = ' ' ; \
  if (!ok_) printf("# %s: got [%s], want [%s]\n", name_, got_, (want)) ; \
  CHECK(ok_, name_) ; \
} while (0)

static char const *sort (uint8_t const *keys, unsigned int nkeys)
{
  static char out[64] ;
  size_t idx[3] = { 0, 1, 2 } ;
  out[0] = 0 ;
  if (!imap_sort(&box, idx, 3, keys, nkeys)) { snprintf(out, sizeof(out), "ERR %d", errno) ; return out ; }
  snprintf(out, sizeof(out), "%zu %zu %zu", idx[0] + 1, idx[1] + 1, idx[2] + 1) ;
  return out ;
}

#define SORT_IS(name, want, ...) do { \
  static uint8_t const k_[] = { __VA_ARGS__ } ; \
  char const *got_ = sort(k_, sizeof(k_)) ; \
  int ok_ = !strcmp(got_, (want)) ; \
  if (!ok_) printf("# got [%s], want [%s]\n", got_, (want)) ; \
  CHECK(ok_, "SORT " name) ; \
} while (0)

int main (void)
{
  unit_maildir_make(root, "imap-search") ;
  stralloc_cats(&big,
    "From: \"Bob\" <bob@example.test>\n"
    "To: \"Quoted, Name\" <dave@example.test>\n"
    "Subject: Re: lunch\n"
    "Date: Wed, 1 Jan 2020 10:00:00 +0000\n"
    "Message-ID: <3@example.test>\n"
    "X-Spam: yes\n"
    "\n") ;
  for (unsigned int i = 0 ; i < 100 ; i++) stralloc_cats(&big, "filler filler filler filler filler filler filler\n") ;
  stralloc_0(&big) ;
  unit_maildir_put(root, 1, "S", msg1, strlen(msg1), 760686745) ;   /* 1994-02-08 05:52:25 UTC */
  unit_maildir_put(root, 2, "F", msg2, strlen(msg2), 946728000) ;   /* 2000-01-01 12:00:00 UTC */
  unit_maildir_put(root, 3, "", big.s, big.len, 631152000) ;   /* 1990-01-01 */
  if (!mbox_open(&box, root, "INBOX", 0)) { perror("mbox_open") ; return 111 ; }
  CHECK(mbox_count(&box) == 3, "mbox: three messages") ;
  {
    uint64_t modseq ;
    int w = mbox_keyword(&box, "work", 1) ;
    CHECK(w >= 0 && mbox_store(&box, 2, 0, 1u << w, &modseq), "keyword work on message 3") ;
  }

  SEARCH_IS("ALL", "1 2 3") ;
  SEARCH_IS("FROM alice", "1") ;
  SEARCH_IS("FROM ZED", "2") ;
  SEARCH_IS("FROM \"aaron z\"", "2") ;
  SEARCH_IS("TO dave", "3") ;
  SEARCH_IS("CC carol", "1") ;
  SEARCH_IS("BCC carol", "") ;
  SEARCH_IS("CHARSET UTF-8 SUBJECT {4}\r\ngr\xc3\xbc", "1") ;
  SEARCH_IS("CHARSET UTF-8 SUBJECT {5}\r\nK\xc3\x96LN", "1") ;
  SEARCH_IS("SUBJECT lunch", "3") ;
  SEARCH_IS("CHARSET UTF-8 BODY {5}\r\nCAF\xc3\x89", "2") ;
  SEARCH_IS("BODY secret", "") ;
  SEARCH_IS("BODY hello", "1") ;
  SEARCH_IS("BODY alice", "") ;
  SEARCH_IS("TEXT alice", "1") ;
  SEARCH_IS("TEXT filler", "3") ;
  SEARCH_IS("HEADER X-Spam \"\"", "3") ;
  SEARCH_IS("HEADER X-Spam no", "") ;
  SEARCH_IS("HEADER Message-ID \"<3@\"", "3") ;
  SEARCH_IS("SENTON 7-Feb-1994", "1") ;
  SEARCH_IS("SENTBEFORE 8-Feb-1994", "1") ;
  SEARCH_IS("SENTSINCE 8-Feb-1994", "2 3") ;
  SEARCH_IS("SENTON 1-Jan-2000", "2") ;
  SEARCH_IS("ON 8-Feb-1994", "1") ;
  SEARCH_IS("BEFORE 1-Jan-2000", "1 3") ;
  SEARCH_IS("SINCE 1-Jan-2000", "2") ;
  SEARCH_IS("SEEN", "1") ;
  SEARCH_IS("UNSEEN", "2 3") ;
  SEARCH_IS("FLAGGED", "2") ;
  SEARCH_IS("NOT FLAGGED", "1 3") ;
  SEARCH_IS("OR SEEN FLAGGED", "1 2") ;
  SEARCH_IS("RECENT", "3") ;
  SEARCH_IS("NEW", "3") ;
  SEARCH_IS("OLD", "1 2") ;
  SEARCH_IS("KEYWORD work", "3") ;
  SEARCH_IS("UNKEYWORD work", "1 2") ;
  SEARCH_IS("KEYWORD nothere", "") ;
  SEARCH_IS("UNKEYWORD nothere", "1 2 3") ;
  SEARCH_IS("LARGER 1000", "3") ;
  SEARCH_IS("SMALLER 1000", "1 2") ;
  SEARCH_IS("2:*", "2 3") ;
  SEARCH_IS("*", "3") ;
  SEARCH_IS("UID 1,3", "1 3") ;
  SEARCH_IS("UID 7:*", "3") ;
  SEARCH_IS("$", "1 3") ;
  SEARCH_IS("UID $", "1 3") ;
  SEARCH_IS("MODSEQ 1", "1 2 3") ;
  SEARCH_IS("OLDER 60", "1 2 3") ;
  SEARCH_IS("YOUNGER 60", "") ;
  SEARCH_IS("(FROM alice SEEN)", "1") ;
  SEARCH_IS("NOT (OR FROM alice FROM zed)", "3") ;
  /* RFC 9051 §6.4.4's example shape */
  SEARCH_IS("FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "2") ;

  SORT_IS("FROM", "1 3 2", IMAP_SORT_FROM) ;
  SORT_IS("REVERSE FROM", "2 3 1", IMAP_SORT_REVERSE | IMAP_SORT_FROM) ;
  SORT_IS("DISPLAYFROM", "2 1 3", IMAP_SORT_DISPLAYFROM) ;
  SORT_IS("SIZE", "1 2 3", IMAP_SORT_SIZE) ;
  SORT_IS("REVERSE SIZE", "3 2 1", IMAP_SORT_REVERSE | IMAP_SORT_SIZE) ;
  SORT_IS("DATE (sent date, internal date without Date:)", "1 2 3", IMAP_SORT_DATE) ;
  SORT_IS("REVERSE DATE", "3 2 1", IMAP_SORT_REVERSE | IMAP_SORT_DATE) ;
  SORT_IS("ARRIVAL", "3 1 2", IMAP_SORT_ARRIVAL) ;
  SORT_IS("SUBJECT (base subjects)", "1 3 2", IMAP_SORT_SUBJECT) ;
  SORT_IS("CC (ties by sequence number)", "2 3 1", IMAP_SORT_CC) ;
  SORT_IS("REVERSE CC (ties still ascending)", "1 2 3", IMAP_SORT_REVERSE | IMAP_SORT_CC) ;
  SORT_IS("TO (group, quoted display name)", "2 1 3", IMAP_SORT_TO) ;
  SORT_IS("DISPLAYTO", "2 1 3", IMAP_SORT_DISPLAYTO) ;
  SORT_IS("CC then REVERSE ARRIVAL", "2 3 1", IMAP_SORT_CC, IMAP_SORT_REVERSE | IMAP_SORT_ARRIVAL) ;

  /* a message whose file vanished matches no text key, the rest still work */
  {
    char path[512] ;
    snprintf(path, sizeof(path), "%s/%s", root, mbox_name(&box, 0)) ;
    unlink(path) ;
    SEARCH_IS("FROM alice", "") ;
    SEARCH_IS("SEEN", "1") ;
    SORT_IS("FROM with a vanished file", "1 3 2", IMAP_SORT_FROM) ;
  }

  imap_msg_free(&msg) ;
  mbox_close(&box) ;
  stralloc_free(&big) ;
  rm_rf(root) ;
  return check_done() ;
}

/* ISC license. */

/* Unit tests of THREAD (imapd/imap_thread.c): generated thread sets in
 * temporary Maildirs, answers in RFC 5256 §4's syntax checked against
 * the results of the §2 algorithms worked out by hand; loops and a deep
 * References chain must neither hang nor recurse. */

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
#include "tests/unit/check.h"
#include "tests/unit/fixture/unit_maildir.h"

static char root[UNIT_MAILDIR_ROOT_MAX] ;

/* message n (1-based arrival order) with the given header lines; the
 * sent date is day n of January 2001 unless date is given */
static void put (unsigned int n, char const *id, char const *subject, char const *refs, char const *inreplyto, char const *date)
{
  char text[8192], d[64] ;
  int len ;
  if (!date) { snprintf(d, sizeof(d), "Mon, %u Jan 2001 10:00:00 +0000", n % 28 + 1) ; date = d ; }
  len = snprintf(text, sizeof(text), "From: a@example.test\n%s%s%s%s%s%s%s%s%sDate: %s\n\nbody\n",
    id ? "Message-ID: " : "", id ? id : "", id ? "\n" : "",
    subject ? "Subject: " : "", subject ? subject : "", subject ? "\n" : "",
    refs ? "References: " : "", refs ? refs : "", refs ? "\n" : "", date) ;
  if (inreplyto) len += snprintf(text + len - 6, sizeof(text) - len, "In-Reply-To: %s\n\nbody\n", inreplyto) - 6 ;
  unit_maildir_put(root, n, "", text, len, 978307200 + n) ;
}

static char const *thread (int alg, int byuid)
{
  static stralloc out = STRALLOC_ZERO ;
  mbox box = MBOX_ZERO ;
  size_t *idx ;
  size_t n ;
  out.len = 0 ;
  if (!mbox_open(&box, root, "INBOX", 0)) { stralloc_cats(&out, "OPEN") ; stralloc_0(&out) ; return out.s ; }
  n = mbox_count(&box) ;
  idx = malloc((n + 1) * sizeof(size_t)) ;
  for (size_t i = 0 ; i < n ; i++) idx[i] = i ;
  if (!imap_thread(&out, &box, idx, n, alg, byuid)) { out.len = 0 ; stralloc_cats(&out, "ERR") ; }
  stralloc_0(&out) ;
  free(idx) ;
  mbox_close(&box) ;
  return out.s ;
}

#define THREAD_IS(alg, want, name) do { \
  char const *got_ = thread((alg), 0) ; \
  int ok_ = !strcmp(got_, (want)) ; \
  if (!ok_) printf("# got [%.300s]\n# want [%.300s]\n", got_, (want)) ; \
  CHECK(ok_, name) ; \
} while (0)

int main (void)
{
  /* a thread set exercising every step of RFC 5256 §2 REFERENCES */
  unit_maildir_make(root, "imap-thread") ;
  put(1, "<a@x>", "topic", 0, 0, 0) ;
  put(2, "<b@x>", "Re: topic", "<a@x>", 0, 0) ;
  put(3, "<c@x>", "Re: topic", "<a@x> <b@x>", 0, 0) ;
  put(4, "<d@x>", "Re: topic", 0, "<a@x>", 0) ;              /* In-Reply-To only */
  put(5, "<e@x>", "other", 0, 0, 0) ;
  put(6, "<f@x>", "Re: lost", "<missing@x>", 0, 0) ;         /* parent never seen: a dummy */
  put(7, "<g@x>", "Re: lost", "<missing@x>", 0, 0) ;
  put(8, "<h@x>", "topic", 0, 0, 0) ;                        /* same subject, no references: merged */
  put(9, "<a@x>", "[fwd: other]", 0, 0, 0) ;                 /* duplicate Message-ID */
  put(10, 0, "single", "<nothing@x>", 0, 0) ;                /* no Message-ID, a dummy parent with one child */

  /* References:
   * 1: 1 -> 2 -> 3, 1 -> 4 ; 5 ; dummy(missing) -> 6, 7 ; 8 ; 9 ; dummy(nothing) -> 10
   * pruning: the dummy with one child at the root gives way to 10.
   * subjects: "topic" {1..., 8} both not replies -> a new dummy (1 ...)(8);
   *           "other" {5, 9}: 9 is a forward, 5 is not -> 9 under 5;
   *           "lost": dummy alone; "single": alone.
   * dates: day n, so the root order is by the first message of each. */
  THREAD_IS(IMAP_THREAD_REFERENCES, "((1 (2 3)(4))(8))(5 9)((6)(7))(10)", "REFERENCES: links, dummies, subject merging, sorting") ;
  /* ORDEREDSUBJECT: by base subject; the first (by date) is the root, the rest its children */
  THREAD_IS(IMAP_THREAD_ORDEREDSUBJECT, "(1 (2)(3)(4)(8))(5 9)(6 7)(10)", "ORDEREDSUBJECT") ;
  CHECK(!strcmp(thread(IMAP_THREAD_REFERENCES, 1), "((1 (2 3)(4))(8))(5 9)((6)(7))(10)"), "UID THREAD numbers are UIDs (here equal)") ;
  rm_rf(root) ;

  /* sent dates decide sibling order, ties by sequence number; a missing
   * Date: falls back to the internal date */
  unit_maildir_make(root, "imap-thread") ;
  put(1, "<p@y>", "s", 0, 0, "Wed, 10 Jan 2001 10:00:00 +0000") ;
  put(2, "<q@y>", "Re: s", "<p@y>", 0, "Tue, 9 Jan 2001 10:00:00 +0000") ;
  put(3, "<r@y>", "Re: s", "<p@y>", 0, "Mon, 8 Jan 2001 10:00:00 +0000") ;
  put(4, "<s@y>", "Re: s", "<p@y>", 0, "Mon, 8 Jan 2001 10:00:00 +0000") ;
  put(5, "<t@y>", "u", 0, 0, "Sat, 1 Jan 2000 00:00:00 +0000") ;
  THREAD_IS(IMAP_THREAD_REFERENCES, "(5)(1 (3)(4)(2))", "REFERENCES: siblings by sent date, ties by sequence") ;
  /* ORDEREDSUBJECT: the earliest message of a subject is the root (3, before 4 by sequence), threads by their root's date */
  THREAD_IS(IMAP_THREAD_ORDEREDSUBJECT, "(5)(3 (4)(2)(1))", "ORDEREDSUBJECT: root is the earliest, threads by the root's date") ;
  rm_rf(root) ;

  /* loops: references that point at each other or at themselves */
  unit_maildir_make(root, "imap-thread") ;
  put(1, "<x@z>", "loop", "<y@z>", 0, 0) ;
  put(2, "<y@z>", "loop", "<x@z>", 0, 0) ;
  put(3, "<w@z>", "self", "<w@z>", 0, 0) ;
  put(4, "<v@z>", "chain", "<u@z> <v@z> <u@z>", 0, 0) ;
  {
    char const *got = thread(IMAP_THREAD_REFERENCES, 0) ;
    int ok = strcmp(got, "ERR") && strchr(got, '1') && strchr(got, '2') && strchr(got, '3') && strchr(got, '4') ;
    printf("# loops: %s\n", got) ;
    CHECK(ok, "REFERENCES: loops in References terminate, every message once") ;
    /* 1 goes under <y>; 2 (<y>) would then become 1's child: a loop, not linked.
     * 4's "<u> <v> <u>" links v under u once; u is a dummy with one child at the root: promoted */
    CHECK(!strcmp(got, "(2 1)(3)(4)"), "REFERENCES: loop answers") ;
  }
  rm_rf(root) ;

  /* a References chain 3000 deep: no recursion, one long thread */
  unit_maildir_make(root, "imap-thread") ;
  {
    static stralloc want = STRALLOC_ZERO ;
    char id[32], prev[32] ;
    want.len = 0 ;
    stralloc_cats(&want, "(") ;
    for (unsigned int n = 1 ; n <= 3000 ; n++)
    {
      char num[16] ;
      snprintf(id, sizeof(id), "<%u@deep>", n) ;
      put(n, id, "deep", n > 1 ? prev : 0, 0, "Mon, 1 Jan 2001 10:00:00 +0000") ;
      strcpy(prev, id) ;
      snprintf(num, sizeof(num), n > 1 ? " %u" : "%u", n) ;
      stralloc_cats(&want, num) ;
    }
    stralloc_cats(&want, ")") ;
    stralloc_0(&want) ;
    THREAD_IS(IMAP_THREAD_REFERENCES, want.s, "REFERENCES: a 3000-deep chain") ;
    stralloc_free(&want) ;
  }
  rm_rf(root) ;

  /* an empty selection */
  {
    stralloc out = STRALLOC_ZERO ;
    mbox box = MBOX_ZERO ;
    CHECK(imap_thread(&out, &box, 0, 0, IMAP_THREAD_REFERENCES, 0) && !out.len, "no messages: empty thread list") ;
    stralloc_free(&out) ;
  }
  return check_done() ;
}

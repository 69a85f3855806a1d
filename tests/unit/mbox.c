/* ISC license. */

 /* common/mbox.h on temporary Maildirs under /tmp. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/maildir.h"
#include "common/mbox.h"
#include "common/mbox-internal.h"
#include "tests/unit/check.h"

static char top[256] ;

static void path (char *buf, size_t n, char const *rel)
{
  snprintf(buf, n, "%s/%s", top, rel) ;
}

static void put (char const *rel, char const *content)
{
  char p[512] ;
  FILE *f ;
  path(p, sizeof(p), rel) ;
  f = fopen(p, "w") ;
  if (!f) { perror(p) ; exit(111) ; }
  fputs(content, f) ;
  fclose(f) ;
}

static int slurp (char const *rel, char *buf, size_t n)
{
  char p[512] ;
  int fd ;
  ssize_t r ;
  path(p, sizeof(p), rel) ;
  fd = open(p, O_RDONLY) ;
  if (fd < 0) return -1 ;
  r = read(fd, buf, n - 1) ;
  close(fd) ;
  if (r < 0) return -1 ;
  buf[r] = 0 ;
  return (int)r ;
}

static int exists (char const *rel)
{
  char p[512] ;
  struct stat st ;
  path(p, sizeof(p), rel) ;
  return stat(p, &st) == 0 ;
}

static void mkmaildir (char const *rel)
{
  char p[512] ;
  static char const *const sub[3] = { "cur", "new", "tmp" } ;
  path(p, sizeof(p), rel) ;
  mkdir(p, 0700) ;
  for (int i = 0 ; i < 3 ; i++)
  {
    char q[600] ;
    snprintf(q, sizeof(q), "%s/%s", p, sub[i]) ;
    mkdir(q, 0700) ;
  }
}

static void reset (void)
{
  char cmd[700] ;
  snprintf(cmd, sizeof(cmd), "rm -rf %s/md && mkdir -p %s/md", top, top) ;
  if (system(cmd)) exit(111) ;
  mkmaildir("md") ;
}

static char root[300] ;

static int count_dir (char const *rel)
{
  char p[512] ;
  DIR *d ;
  struct dirent *e ;
  int n = 0 ;
  path(p, sizeof(p), rel) ;
  d = opendir(p) ;
  if (!d) return -1 ;
  while ((e = readdir(d))) if (e->d_name[0] != '.') n++ ;
  closedir(d) ;
  return n ;
}

static void test_mutf7 (void)
{
  stralloc sa = STRALLOC_ZERO ;
  static char const utf8[] = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" ;
  static char const m7[] = "~peter/mail/&U,BTFw-/&ZeVnLIqe-" ;
  CHECK(utf8_to_mutf7(&sa, utf8, strlen(utf8)) && sa.len == strlen(m7) && !memcmp(sa.s, m7, sa.len), "mutf7: RFC 3501 example encoded") ;
  sa.len = 0 ;
  CHECK(mutf7_to_utf8(&sa, m7, strlen(m7)) && sa.len == strlen(utf8) && !memcmp(sa.s, utf8, sa.len), "mutf7: RFC 3501 example decoded") ;
  sa.len = 0 ;
  CHECK(utf8_to_mutf7(&sa, "a&b", 3) && sa.len == 4 && !memcmp(sa.s, "a&-b", 4), "mutf7: & becomes &-") ;
  sa.len = 0 ;
  CHECK(mutf7_to_utf8(&sa, "&Jjo-!", 6) && sa.len == 4 && !memcmp(sa.s, "\xe2\x98\xba!", 4), "mutf7: &Jjo-! is U+263A then !") ;
  sa.len = 0 ;
  CHECK(utf8_to_mutf7(&sa, "\xf0\x9f\x98\x80", 4) && sa.len == 8 && !memcmp(sa.s, "&2D3eAA-", 8), "mutf7: astral character as a surrogate pair") ;
  sa.len = 0 ;
  CHECK(mutf7_to_utf8(&sa, "&2D3eAA-", 8) && sa.len == 4 && !memcmp(sa.s, "\xf0\x9f\x98\x80", 4), "mutf7: surrogate pair decoded") ;
  sa.len = 0 ;
  CHECK(!mutf7_to_utf8(&sa, "&AGE-", 5) && errno == EINVAL, "mutf7: printable ASCII inside a shift refused") ;
  CHECK(!mutf7_to_utf8(&sa, "&U,BTFw-&ZeVnLIqe-", 18) && errno == EINVAL, "mutf7: two adjacent shifts refused") ;
  CHECK(!mutf7_to_utf8(&sa, "&Jjo", 4) && errno == EINVAL, "mutf7: unterminated shift refused") ;
  CHECK(!mutf7_to_utf8(&sa, "&Jj-", 4) && errno == EINVAL, "mutf7: non-zero leftover bits refused") ;
  CHECK(!mutf7_to_utf8(&sa, "&2D0-", 5) && errno == EINVAL, "mutf7: lone high surrogate refused") ;
  CHECK(!utf8_to_mutf7(&sa, "\xc3", 1) && errno == EINVAL, "mutf7: truncated UTF-8 refused") ;
  CHECK(!utf8_to_mutf7(&sa, "\xc0\xaf", 2) && errno == EINVAL, "mutf7: overlong UTF-8 refused") ;
  CHECK(mbox_folder_name_valid("a.b&AOk-.c") && !mbox_folder_name_valid("a..b") && !mbox_folder_name_valid(".a")
     && !mbox_folder_name_valid("a/b") && !mbox_folder_name_valid("a.") && !mbox_folder_name_valid("&AGE-") && !mbox_folder_name_valid(""),
     "mbox_folder_name_valid") ;
  stralloc_free(&sa) ;
}

static void test_uidlist (void)
{
  mbox_uidlist ul = MBOX_UIDLIST_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  static char const v3[] = "3 V1234 N10 Gc1d9c536e7040a6bb66b000083ecc375 Xfoo\n"
    "1 :1700000000.M1P1.host,S=20\n"
    "4 W120 S118 Gabcdef :1700000001.M1P1.host\n"
    "7 P0123 :1700000002.M1P1.host:2,S\n" ;
  static char const v3out[] = "3 V1234 N10 Gc1d9c536e7040a6bb66b000083ecc375 Xfoo\n"
    "1 :1700000000.M1P1.host,S=20\n"
    "4 S118 W120 Gabcdef :1700000001.M1P1.host\n"
    "7 P0123 :1700000002.M1P1.host\n" ;
  int ok = mbox_uidlist_parse(&ul, v3, sizeof(v3) - 1) ;
  {
    mbox_uidlist bad = MBOX_UIDLIST_ZERO ;
    CHECK(!mbox_uidlist_add(&bad, 1, "1700000000.M1P1.host\n5 :x", 25, UINT64_MAX) && errno == EINVAL
       && !mbox_uidlist_add(&bad, 2, "1700000000.M1P1\rhost", 20, UINT64_MAX) && mbox_uidlist_add(&bad, 3, "1700000000.M1P1.host", 20, UINT64_MAX)
       && genalloc_len(mbox_uidrec, &bad.recs) == 1, "uidlist: a record name with a control byte is refused") ;
    mbox_uidlist_free(&bad) ;
  }
  CHECK(ok && ul.version == 3 && ul.uidvalidity == 1234 && ul.nextuid == 10 && genalloc_len(mbox_uidrec, &ul.recs) == 3, "uidlist: version 3 parsed") ;
  if (ok)
  {
    mbox_uidrec const *r = genalloc_s(mbox_uidrec, &ul.recs) ;
    CHECK(r[1].uid == 4 && r[1].vsize == 120 && !strcmp(ul.sa.s + r[1].guid, "abcdef") && !strcmp(ul.sa.s + r[2].base, "1700000002.M1P1.host"), "uidlist: W, G and the base name") ;
    CHECK(mbox_uidlist_format(&ul, &out) && out.len == sizeof(v3out) - 1 && !memcmp(out.s, v3out, out.len), "uidlist: written back (unknown fields kept)") ;
  }
  {
    static char const app[] = "3 V5 N1 G00000000000000000000000000000000\n1 :a\n2 :b\n" ;
    CHECK(mbox_uidlist_parse(&ul, app, sizeof(app) - 1) && ul.nextuid == 3, "uidlist: records appended after a stale N: next UID follows them") ;
  }
  {
    static char const v1[] = "1 777 9\n3 1700000000.M1P1.host:2,S\n5 1700000001.x\n" ;
    ok = mbox_uidlist_parse(&ul, v1, sizeof(v1) - 1) ;
    CHECK(ok && ul.version == 1 && ul.uidvalidity == 777 && ul.nextuid == 9 && genalloc_len(mbox_uidrec, &ul.recs) == 2
       && !strcmp(ul.sa.s + genalloc_s(mbox_uidrec, &ul.recs)[0].base, "1700000000.M1P1.host"), "uidlist: version 1 (Courier) parsed") ;
  }
  {
    static char const bad1[] = "3 V5 N1\n2 :a\n1 :b\n" ;
    static char const bad2[] = "3 V5 N1\n1 W12\n" ;
    static char const bad3[] = "garbage\n" ;
    CHECK(!mbox_uidlist_parse(&ul, bad1, sizeof(bad1) - 1) && errno == EPROTO, "uidlist: descending UIDs refused") ;
    CHECK(!mbox_uidlist_parse(&ul, bad2, sizeof(bad2) - 1) && errno == EPROTO, "uidlist: record without a file name refused") ;
    CHECK(!mbox_uidlist_parse(&ul, bad3, sizeof(bad3) - 1) && errno == EPROTO, "uidlist: bad header refused") ;
  }
  mbox_uidlist_free(&ul) ;
  stralloc_free(&out) ;
}

/* A POP3 UIDL a migration stored in the record's P extension (Dovecot
 * serves it instead of pop3_uidl_format, and so do we). */
static void test_pop3uidl (void)
{
  mbox m = MBOX_ZERO ;
  reset() ;
  put("md/cur/1500000000.M1P1.host:2,S", "a\n") ;
  put("md/cur/1500000001.M1P1.host:2,S", "b\n") ;
  put("md/cur/1500000002.M1P1.host:2,S", "c\n") ;
  put("md/dovecot-uidlist", "3 V77 N4\n1 Pold-server-uidl-1 :1500000000.M1P1.host\n2 :1500000001.M1P1.host\n3 P :1500000002.M1P1.host\n") ;
  CHECK(mbox_open(&m, root, "INBOX", 0) && mbox_count(&m) == 3, "pop3 uidl: folder opened") ;
  if (mbox_count(&m) == 3)
    CHECK(!strcmp(m.names.s + mbox_at(&m, 0)->pop3uidl, "old-server-uidl-1") && !m.names.s[mbox_at(&m, 1)->pop3uidl]
       && !m.names.s[mbox_at(&m, 2)->pop3uidl], "pop3 uidl: P field read, absent or empty ones are \"\"") ;
  mbox_close(&m) ;
}

static void test_newcur (void)
{
  mbox m = MBOX_ZERO ;
  char buf[4096] ;
  reset() ;
   /* later time first in readdir order does not matter: sorted by time */
  put("md/new/1700000005.M2P1.host,S=6", "b\nb\nb\n") ;
  put("md/new/1700000005.M1P1.host", "a\r\na\n") ;
  put("md/new/1600000000.M9P1.host", "first\n") ;
  put("md/cur/1500000000.M1P1.host:2,SPX", "old\n") ;
  CHECK(mbox_open(&m, root, "INBOX", 0), "open INBOX") ;
  CHECK(mbox_count(&m) == 4 && m.uidnext == 5, "four messages, UIDNEXT 5") ;
  if (mbox_count(&m) == 4)
  {
    CHECK(!strcmp(mbox_name(&m, 0), "cur/1500000000.M1P1.host:2,PSX") || !strcmp(mbox_name(&m, 0), "cur/1500000000.M1P1.host:2,SPX"), "message in cur/ keeps its name") ;
    CHECK(!strcmp(mbox_name(&m, 1), "cur/1600000000.M9P1.host:2,") && !strcmp(mbox_name(&m, 2), "cur/1700000005.M1P1.host:2,")
       && !strcmp(mbox_name(&m, 3), "cur/1700000005.M2P1.host,S=6:2,"), "new/ files moved to cur/ with :2, in time order") ;
    CHECK(mbox_at(&m, 0)->flags == MBOX_SEEN && mbox_at(&m, 1)->flags == 0, "flags from the name") ;
    CHECK(mbox_at(&m, 2)->size == 6 && mbox_at(&m, 2)->fsize == 5 && mbox_at(&m, 3)->size == 9 && mbox_at(&m, 3)->fsize == 6, "RFC822.SIZE counted with CRLF, S= used") ;
    CHECK(mbox_at(&m, 1)->recent && mbox_at(&m, 3)->recent, "\\Recent for the session that assigned the UIDs") ;
  }
  CHECK(count_dir("md/new") == 0, "new/ is empty") ;
  CHECK(slurp("md/dovecot-uidlist", buf, sizeof(buf)) > 0 && !strncmp(buf, "3 V", 3) && strstr(buf, "\n4 W9 :1700000005.M2P1.host,S=6\n")
     && strstr(buf, "\n1 W5 :1500000000.M1P1.host\n"), "uidlist: version 3, base names, W kept for files without ,W=") ;
  CHECK(slurp("md/posthaste-modseq", buf, sizeof(buf)) > 0 && !strncmp(buf, "posthaste-modseq 1 V", 20), "posthaste-modseq written") ;
  CHECK(m.highestmodseq == 1 && mbox_at(&m, 0)->modseq == 1, "fresh modseq state: everything at 1") ;
  mbox_close(&m) ;
  CHECK(mbox_open(&m, root, "INBOX", 0) && mbox_count(&m) == 4 && !mbox_at(&m, 1)->recent && mbox_at(&m, 3)->uid == 4, "reopen: same UIDs, no \\Recent") ;
  mbox_close(&m) ;
   /* read-only: UIDs assigned, nothing moved, nothing recent */
  put("md/new/1700000009.M1P1.host", "ro\n") ;
  CHECK(mbox_open(&m, root, "INBOX", MBOX_OPEN_READONLY) && mbox_count(&m) == 5 && mbox_at(&m, 4)->uid == 5
     && !mbox_at(&m, 4)->recent && !strcmp(mbox_name(&m, 4), "new/1700000009.M1P1.host"), "read-only open: UID given, file left in new/, no \\Recent") ;
  CHECK(!mbox_store(&m, 0, MBOX_SEEN, 0, 0) && errno == EROFS, "read-only: store refused") ;
  mbox_close(&m) ;
  CHECK(mbox_open(&m, root, "INBOX", MBOX_OPEN_NOSCAN) && m.uidnext == 6 && m.uidvalidity, "NOSCAN open: UIDNEXT and UIDVALIDITY") ;
  mbox_close(&m) ;
}

static void test_migrate (void)
{
  mbox m = MBOX_ZERO ;
  char buf[4096] ;
  uint64_t ms ;
  reset() ;
   /* a Courier-era uidlist (version 1) and a file name with flags in it */
  put("md/dovecot-uidlist", "1 4242 8\n3 1600000000.M1P1.host:2,S\n6 1600000001.M1P1.host\n") ;
  put("md/cur/1600000000.M1P1.host:2,S", "a\n") ;
  put("md/cur/1600000001.M1P1.host:2,FR", "b\n") ;
  put("md/new/1600000002.M1P1.host", "c\n") ;
  CHECK(mbox_open(&m, root, "INBOX", 0) && m.uidvalidity == 4242 && mbox_count(&m) == 3 && mbox_at(&m, 0)->uid == 3
     && mbox_at(&m, 1)->uid == 6 && mbox_at(&m, 2)->uid == 8 && m.uidnext == 9, "version 1 uidlist: UIDs and UIDVALIDITY kept, new ones after") ;
  CHECK(slurp("md/dovecot-uidlist", buf, sizeof(buf)) > 0 && !strncmp(buf, "3 V4242 N9 G", 12) && strstr(buf, "\n6 W3 :1600000001.M1P1.host\n"), "rewritten as version 3, with a mailbox GUID") ;
   /* posthaste-modseq removed while a session has the folder open */
  {
    char p[512] ;
    uint64_t before = m.highestmodseq ;
    path(p, sizeof(p), "md/posthaste-modseq") ;
    unlink(p) ;
    CHECK(mbox_store(&m, 0, MBOX_FLAGGED, 0, &ms) && ms > before, "store with posthaste-modseq gone: a modseq above the last") ;
    mbox_close(&m) ;
    CHECK(mbox_open(&m, root, "INBOX", 0) && exists("md/posthaste-modseq") && mbox_at(&m, 0)->flags == MBOX_FLAGGED, "rebuilt at the next open") ;
  }
  mbox_close(&m) ;
   /* a corrupt uidlist: rebuilt with a new UIDVALIDITY */
  put("md/dovecot-uidlist", "3 V4242 N9\n5 :x\n2 :y\n") ;
  CHECK(mbox_open(&m, root, "INBOX", 0) && m.uidvalidity != 4242 && mbox_count(&m) == 3 && mbox_at(&m, 0)->uid == 1, "corrupt uidlist: new UIDVALIDITY, messages renumbered") ;
  mbox_close(&m) ;
}

static void test_flags (void)
{
  mbox m = MBOX_ZERO, m2 = MBOX_ZERO ;
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  char buf[4096] ;
  uint64_t ms1 = 0, ms2 = 0 ;
  int kfoo, kbar ;
  reset() ;
  put("md/cur/1500000000.M1P1.host:2,P", "one\n") ;
  put("md/cur/1500000001.M1P1.host:2,", "two\n") ;
  if (!mbox_open(&m, root, "INBOX", 0)) { CHECK(0, "flags: open") ; return ; }
  kfoo = mbox_keyword(&m, "$Forwarded", 1) ;
  kbar = mbox_keyword(&m, "bar", 1) ;
  CHECK(kfoo == 0 && kbar == 1 && mbox_keyword(&m, "$FORWARDED", 0) == 0 && mbox_keyword(&m, "nope", 0) == -1, "keywords: indexes, case-insensitive") ;
  CHECK(mbox_keyword(&m, "bad(kw", 1) == -1 && errno == EINVAL, "keywords: atom-specials refused") ;
  CHECK(slurp("md/dovecot-keywords", buf, sizeof(buf)) > 0 && !strcmp(buf, "0 $Forwarded\n1 bar\n"), "dovecot-keywords written") ;
  CHECK(mbox_store(&m, 0, MBOX_SEEN | MBOX_ANSWERED | MBOX_DRAFT | MBOX_FLAGGED | MBOX_DELETED, 1u << kbar, &ms1) && ms1 == 2, "store: new modseq") ;
  CHECK(!strcmp(mbox_name(&m, 0), "cur/1500000000.M1P1.host:2,DFPRSTb") && exists("md/cur/1500000000.M1P1.host:2,DFPRSTb"), "store: letters in ASCII order, P kept") ;
  CHECK(mbox_store(&m, 0, MBOX_SEEN | MBOX_ANSWERED | MBOX_DRAFT | MBOX_FLAGGED | MBOX_DELETED, 1u << kbar, &ms2) && ms2 == ms1, "store: no change, no new modseq") ;
  CHECK(m.highestmodseq == 2, "HIGHESTMODSEQ follows") ;
   /* another handle sees it, then a change by a third party (a rename, as Dovecot or a client would) */
  CHECK(mbox_open(&m2, root, "INBOX", 0) && mbox_at(&m2, 0)->flags == (MBOX_SEEN | MBOX_ANSWERED | MBOX_DRAFT | MBOX_FLAGGED | MBOX_DELETED)
     && mbox_at(&m2, 0)->keywords == 2u && mbox_at(&m2, 0)->modseq == 2, "second handle: flags, keywords, modseq") ;
  {
    char a[512], b[512] ;
    path(a, sizeof(a), "md/cur/1500000001.M1P1.host:2,") ;
    path(b, sizeof(b), "md/cur/1500000001.M1P1.host:2,Sa") ;
    rename(a, b) ;
  }
  sleep(1) ;
  CHECK(mbox_sync(&m, &ch) && genalloc_len(uint32_t, &ch.changed) == 1 && genalloc_s(uint32_t, &ch.changed)[0] == 1
     && mbox_at(&m, 1)->flags == MBOX_SEEN && mbox_at(&m, 1)->keywords == 1u && mbox_at(&m, 1)->modseq == 3, "external rename: detected, new modseq") ;
  CHECK(mbox_sync(&m2, &ch) && genalloc_len(uint32_t, &ch.changed) == 1 && mbox_at(&m2, 1)->modseq == 3, "other handle: same modseq for the external change") ;
  CHECK(mbox_store(&m2, 1, 0, 0, &ms1) && ms1 == 4, "store from the second handle") ;
  CHECK(mbox_sync(&m, &ch) && genalloc_len(uint32_t, &ch.changed) == 1 && mbox_at(&m, 1)->flags == 0 && mbox_at(&m, 1)->modseq == 4, "first handle sees it") ;
   /* a stale name: the other handle renamed the file meanwhile */
  CHECK(mbox_store(&m2, 0, MBOX_SEEN, 0, &ms1), "store renames") ;
  {
    int fd = mbox_open_msg(&m, 0) ;
    CHECK(fd >= 0, "open_msg after a rename elsewhere: found by base name") ;
    if (fd >= 0) close(fd) ;
  }
  CHECK(mbox_store(&m, 0, MBOX_FLAGGED, 0, &ms2) && ms2 > ms1 && exists("md/cur/1500000000.M1P1.host:2,FP"), "store after a rename elsewhere: found by base name") ;
  mbox_changes_free(&ch) ;
  mbox_close(&m) ;
  mbox_close(&m2) ;
   /* posthaste-modseq lost: rebuilt, never lower */
  {
    char p[512] ;
    path(p, sizeof(p), "md/posthaste-modseq") ;
    put("md/posthaste-modseq", "posthaste-modseq 1 V1 H40 B1\nM1 bogus\n") ;
    CHECK(mbox_open(&m, root, "INBOX", 0) && m.highestmodseq > 40 - 1 && mbox_at(&m, 0)->modseq == m.highestmodseq, "corrupt posthaste-modseq: rebuilt above the old highest") ;
    mbox_close(&m) ;
    unlink(p) ;
    CHECK(mbox_open(&m, root, "INBOX", 0) && m.highestmodseq >= ((uint64_t)time(0) - 60) << 20,
          "missing posthaste-modseq of a folder already served: rebuilt above any modseq a client may hold") ;
    {
      genalloc v = GENALLOC_ZERO ;
      CHECK(!mbox_vanished_since(&m, 40, &v), "rebuilt posthaste-modseq: no history below its floor (QRESYNC answers from the known UIDs)") ;
      genalloc_free(uint32_t, &v) ;
    }
    mbox_close(&m) ;
  }
}

static void test_expunge (void)
{
  mbox m = MBOX_ZERO, m2 = MBOX_ZERO ;
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  genalloc v = GENALLOC_ZERO ;
  uint64_t hms ;
  reset() ;
  for (int i = 0 ; i < 6 ; i++)
  {
    char n[64] ;
    snprintf(n, sizeof(n), "md/new/17000000%02d.M1P1.host", i) ;
    put(n, "x\n") ;
  }
  if (!mbox_open(&m, root, "INBOX", 0) || mbox_count(&m) != 6) { CHECK(0, "expunge: open") ; return ; }
  mbox_open(&m2, root, "INBOX", 0) ;
  hms = m.highestmodseq ;
  mbox_store(&m, 1, MBOX_DELETED, 0, 0) ;
  mbox_store(&m, 2, MBOX_DELETED, 0, 0) ;
  mbox_store(&m, 4, MBOX_DELETED, 0, 0) ;
  {
    uint32_t only[2] = { 2, 5 } ;
    CHECK(mbox_expunge(&m, only, 2, 0, &ch) && mbox_count(&m) == 4 && genalloc_len(uint32_t, &ch.expunged_uid) == 2
       && genalloc_s(uint32_t, &ch.expunged_seq)[0] == 5 && genalloc_s(uint32_t, &ch.expunged_seq)[1] == 2, "UID EXPUNGE: only the listed \\Deleted, sequence numbers descending") ;
  }
  CHECK(mbox_expunge(&m, 0, 0, 0, &ch) && mbox_count(&m) == 3 && genalloc_len(uint32_t, &ch.expunged_uid) == 1
     && genalloc_s(uint32_t, &ch.expunged_uid)[0] == 3, "EXPUNGE: the other \\Deleted") ;
  {
    uint32_t force[1] = { 6 } ;
    CHECK(mbox_expunge(&m, force, 1, MBOX_EXPUNGE_FORCE, &ch) && mbox_count(&m) == 2, "MOVE-style forced expunge") ;
  }
  CHECK(mbox_vanished_since(&m, hms, &v) && genalloc_len(uint32_t, &v) == 4 && genalloc_s(uint32_t, &v)[0] == 2
     && genalloc_s(uint32_t, &v)[3] == 6, "vanished since the start: 2 3 5 6") ;
  CHECK(mbox_vanished_since(&m, m.highestmodseq - 1, &v) && genalloc_len(uint32_t, &v) == 1 && genalloc_s(uint32_t, &v)[0] == 6, "vanished since the last-but-one change: 6") ;
  CHECK(mbox_vanished_since(&m, m.highestmodseq, &v) && !genalloc_len(uint32_t, &v), "vanished since now: none") ;
  CHECK(mbox_sync(&m2, &ch) && mbox_count(&m2) == 2 && genalloc_len(uint32_t, &ch.expunged_uid) == 4
     && genalloc_s(uint32_t, &ch.expunged_seq)[0] == 6, "other handle: sees the expunges") ;
   /* expunged by someone else (file removed) */
  {
    char p[512] ;
    snprintf(p, sizeof(p), "%s/md/%s", top, mbox_name(&m2, 0)) ;
    unlink(p) ;
  }
  CHECK(mbox_sync(&m, &ch) && mbox_count(&m) == 1 && genalloc_len(uint32_t, &ch.expunged_uid) == 1
     && genalloc_s(uint32_t, &ch.expunged_uid)[0] == 1, "file removed elsewhere: expunge reported") ;
  CHECK(mbox_vanished_since(&m, m.highestmodseq - 1, &v) && genalloc_len(uint32_t, &v) == 1 && genalloc_s(uint32_t, &v)[0] == 1, "and recorded for VANISHED") ;
  CHECK(!mbox_vanished_since(&m, 0, &v), "history does not reach before the floor") ;
  genalloc_free(uint32_t, &v) ;
  mbox_changes_free(&ch) ;
  mbox_close(&m) ;
  mbox_close(&m2) ;
}

static void test_append_copy (void)
{
  mbox m = MBOX_ZERO, s = MBOX_ZERO ;
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  uint32_t uv = 0, uid = 0, uv2 = 0, uids[2] = { 0, 0 } ;
  char buf[4096] ;
  reset() ;
  CHECK(mbox_folder_create(root, "Sent", 0), "create Sent") ;
  if (!mbox_open(&m, root, "INBOX", 0)) { CHECK(0, "append: open") ; return ; }
  CHECK(mbox_append(root, "INBOX", "Subject: hi\r\n\r\nbody\r\n", 21, MBOX_SEEN | MBOX_FLAGGED, "work\0$Label1", 2, 1500000000, &uv, &uid)
     && uv == m.uidvalidity && uid == 1, "append: APPENDUID") ;
  CHECK(mbox_sync(&m, &ch) && ch.added == 1 && mbox_count(&m) == 1 && ch.keywords_changed, "append seen by the open session") ;
  if (mbox_count(&m) == 1)
  {
    mbox_msg const *x = mbox_at(&m, 0) ;
    int fd = mbox_open_msg(&m, 0) ;
    ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1 ;
    if (fd >= 0) close(fd) ;
    CHECK(x->size == 21 && x->fsize == 18 && x->internaldate == 1500000000 && x->flags == (MBOX_SEEN | MBOX_FLAGGED)
       && x->keywords == 3 && r == 18 && !memcmp(buf, "Subject: hi\n\nbody\n", 18), "append: LF on disk, sizes, date, flags, keywords") ;
    CHECK(strstr(mbox_name(&m, 0), ",S=18,W=21:2,FSab") != 0, "append: name with S=, W= and flags") ;
  }
  CHECK(count_dir("md/tmp") == 0, "append: tmp/ empty afterwards") ;
  CHECK(!mbox_append(root, "Nope", "x", 1, 0, "", 0, -1, &uv, &uid) && errno == ENOENT, "append to a missing folder: ENOENT") ;
  mbox_append(root, "INBOX", "two\n", 4, 0, "", 0, -1, &uv, &uid) ;
  mbox_sync(&m, &ch) ;
  {
    size_t idx[2] = { 1, 0 } ;
    CHECK(mbox_copy(&m, idx, 2, root, "Sent", &uv2, uids) && uids[0] == 1 && uids[1] == 2, "copy: COPYUID in order") ;
  }
  CHECK(mbox_open(&s, root, "Sent", 0) && mbox_count(&s) == 2 && s.uidvalidity == uv2 && mbox_at(&s, 1)->flags == (MBOX_SEEN | MBOX_FLAGGED)
     && mbox_at(&s, 1)->internaldate == 1500000000 && mbox_at(&s, 1)->size == 21, "copy: flags, date and size kept") ;
  if (mbox_count(&s) == 2)
  {
    unsigned int k = 0 ;
    char const *p = s.keywords.s ;
    int ok = s.nkeywords == 2 ;
    for (; ok && k < 2 ; k++) { if (!(mbox_at(&s, 1)->keywords & (1u << k))) ok = 0 ; p += strlen(p) + 1 ; }
    CHECK(ok && mbox_keyword(&s, "work", 0) >= 0 && mbox_keyword(&s, "$label1", 0) >= 0, "copy: keywords by name") ;
  }
  {
    size_t idx[2] = { 0, 7 } ;
    uint32_t before = s.uidnext ;
    int ok = mbox_copy(&m, idx, 2, root, "Sent", &uv2, uids) ;
    mbox_close(&s) ;
    mbox_open(&s, root, "Sent", 0) ;
    CHECK(!ok && mbox_count(&s) == 2 && s.uidnext == before && count_dir("md/.Sent/tmp") == 0, "copy: all or nothing") ;
  }
  mbox_changes_free(&ch) ;
  mbox_close(&m) ;
  mbox_close(&s) ;
}

static int find_folder (genalloc const *g, stralloc const *names, char const *name, unsigned int *attrs)
{
  mbox_folder const *f = genalloc_s(mbox_folder const, g) ;
  for (size_t i = 0 ; i < genalloc_len(mbox_folder, g) ; i++)
    if (!strcmp(names->s + f[i].name, name)) { *attrs = f[i].attrs ; return 1 ; }
  return 0 ;
}

static void test_folders (void)
{
  genalloc g = GENALLOC_ZERO ;
  stralloc names = STRALLOC_ZERO ;
  unsigned int a = 0 ;
  char buf[4096] ;
  reset() ;
  CHECK(mbox_setup_defaults(root), "setup defaults") ;
  CHECK(exists("md/.Drafts/cur") && exists("md/.Sent/maildirfolder") && exists("md/.Junk/new") && exists("md/.Trash/tmp") && exists("md/.Archive/cur"), "defaults created") ;
  CHECK(slurp("md/subscriptions", buf, sizeof(buf)) > 0 && !strcmp(buf, "V\t2\n\nDrafts\nSent\nJunk\nTrash\nArchive\n"), "defaults subscribed (Dovecot 2.3 form)") ;
  mbox_subscribe(root, "Drafts", 0) ;
  CHECK(mbox_setup_defaults(root) && slurp("md/subscriptions", buf, sizeof(buf)) > 0 && !strstr(buf, "Drafts"), "setup is first-login only") ;
  CHECK(mbox_folder_create(root, "a.b&AOk-.c", 0) && exists("md/.a.b&AOk-.c/maildirfolder"), "create a nested folder") ;
  CHECK(!mbox_folder_create(root, "a.b&AOk-.c", 0) && errno == EEXIST, "create existing: EEXIST") ;
  CHECK(!mbox_folder_create(root, "a..b", 0) && errno == EINVAL, "create bad name: EINVAL") ;
  CHECK(mbox_folder_create(root, "Outbox", MBOX_USE_SENT) && mbox_folder_use(root, "Outbox") == MBOX_USE_SENT, "CREATE-SPECIAL-USE recorded") ;
  CHECK(mbox_subscribe(root, "a.b&AOk-.c", 1) && mbox_subscribe(root, "gone", 1), "subscribe") ;
  CHECK(slurp("md/subscriptions", buf, sizeof(buf)) > 0 && strstr(buf, "\na\tb&AOk-\tc\n"), "subscription levels TAB-separated") ;
  CHECK(mbox_folders(root, &g, &names), "list") ;
  CHECK(genalloc_len(mbox_folder, &g) && !strcmp(names.s + genalloc_s(mbox_folder, &g)[0].name, "INBOX"), "INBOX first") ;
  CHECK(find_folder(&g, &names, "a", &a) && (a & MBOX_FOLDER_NOSELECT) && (a & MBOX_FOLDER_HASCHILDREN), "intermediate level: \\Noselect \\HasChildren") ;
  CHECK(find_folder(&g, &names, "a.b&AOk-.c", &a) && (a & MBOX_FOLDER_SUBSCRIBED) && (a & MBOX_FOLDER_HASNOCHILDREN) && !(a & MBOX_FOLDER_NOSELECT), "leaf: subscribed, \\HasNoChildren") ;
  CHECK(find_folder(&g, &names, "gone", &a) && (a & MBOX_FOLDER_NONEXISTENT) && (a & MBOX_FOLDER_SUBSCRIBED), "subscribed, missing: \\NonExistent") ;
  CHECK(find_folder(&g, &names, "Sent", &a) && (a & MBOX_USE_SENT) && find_folder(&g, &names, "Junk", &a) && (a & MBOX_USE_JUNK)
     && find_folder(&g, &names, "Outbox", &a) && (a & MBOX_USE_SENT), "special use in the listing") ;
  CHECK(mbox_folder_use(root, "Sent Items") == MBOX_USE_SENT && mbox_folder_use(root, "spam") == MBOX_USE_JUNK
     && mbox_folder_use(root, "Deleted Messages") == MBOX_USE_TRASH && mbox_folder_use(root, "Archive") == MBOX_USE_ARCHIVE && !mbox_folder_use(root, "Work"), "special use by name") ;
  {
    static char const *const deliverd_list[] = { "Drafts", "Sent", "Sent Messages", "Trash", "Junk", "Archive", "Spam", "Sent Items", "Deleted Messages", "Work", 0 } ;
    int ok = 1 ;
    for (int i = 0 ; deliverd_list[i] ; i++)
      if (maildir_folder_special_use(deliverd_list[i], strlen(deliverd_list[i])) && !mbox_use_default(deliverd_list[i])) ok = 0 ;
    CHECK(ok, "every folder deliverd treats as special has a special use here") ;
  }
   /* rename with children */
  mbox_folder_create(root, "a.b&AOk-", 0) ;
  mbox_append(root, "a.b&AOk-", "m\n", 2, 0, "", 0, -1, &(uint32_t){0}, &(uint32_t){0}) ;
  CHECK(mbox_folder_rename(root, "a.b&AOk-", "x") && exists("md/.x/cur") && exists("md/.x.c/cur") && !exists("md/.a.b&AOk-") && !exists("md/.a.b&AOk-.c")
     && exists("md/.x/dovecot-uidlist"), "rename moves the children") ;
  CHECK(!mbox_folder_rename(root, "x", "Sent") && errno == EEXIST, "rename onto an existing folder: EEXIST") ;
  CHECK(!mbox_folder_rename(root, "nothere", "y") && errno == ENOENT, "rename of a missing folder: ENOENT") ;
  CHECK(mbox_folder_rename(root, "Outbox", "Out2") && mbox_folder_use(root, "Out2") == MBOX_USE_SENT && !mbox_folder_use(root, "Outbox"), "rename keeps the special use") ;
   /* delete with children: \Noselect */
  CHECK(mbox_folder_delete(root, "x") && !exists("md/.x") && exists("md/.x.c/cur"), "delete with children: the folder goes, children stay") ;
  mbox_folders(root, &g, &names) ;
  CHECK(find_folder(&g, &names, "x", &a) && (a & MBOX_FOLDER_NOSELECT) && (a & MBOX_FOLDER_HASCHILDREN), "deleted parent listed \\Noselect") ;
  CHECK(!mbox_folder_delete(root, "x") && errno == ENOTEMPTY, "delete of a \\Noselect level with children refused") ;
  CHECK(!mbox_folder_delete(root, "INBOX") && errno == EINVAL, "delete INBOX refused") ;
  CHECK(mbox_folder_delete(root, "x.c") && !exists("md/.x.c") && count_dir("md/tmp") == 0, "delete a leaf, nothing left behind") ;
   /* INBOX rename moves the messages */
  put("md/new/1700000000.M1P1.host", "i\n") ;
  put("md/cur/1700000001.M1P1.host:2,S", "j\n") ;
  CHECK(mbox_folder_rename(root, "INBOX", "Old") && count_dir("md/new") == 0 && count_dir("md/cur") == 0
     && exists("md/.Old/cur/1700000001.M1P1.host:2,S") && exists("md/.Old/new/1700000000.M1P1.host"), "RENAME INBOX moves its messages") ;
  {
    mbox m = MBOX_ZERO ;
    CHECK(mbox_open(&m, root, "Old", 0) && mbox_count(&m) == 2 && mbox_at(&m, 1)->flags == MBOX_SEEN, "and the new folder opens with them") ;
    mbox_close(&m) ;
  }
  CHECK(!mbox_open(&(mbox)MBOX_ZERO, root, "nothere", 0) && errno == ENOENT, "open a missing folder: ENOENT") ;
   /* the older subscriptions form */
  put("md/subscriptions", "INBOX\nlists/foo\nSent\n") ;
  mbox_folders(root, &g, &names) ;
  CHECK(find_folder(&g, &names, "lists.foo", &a) && (a & MBOX_FOLDER_SUBSCRIBED) && find_folder(&g, &names, "INBOX", &a) && (a & MBOX_FOLDER_SUBSCRIBED), "one-name-per-line subscriptions read") ;
  genalloc_free(mbox_folder, &g) ;
  stralloc_free(&names) ;
}

static void test_locks (void)
{
  mbox m = MBOX_ZERO ;
  char p[512] ;
  struct timespec t0, t1 ;
  pid_t pid ;
  reset() ;
  put("md/new/1700000000.M1P1.host", "x\n") ;
   /* a dead process's lock, 3 minutes old: broken */
  put("md/dovecot-uidlist.lock", "") ;
  path(p, sizeof(p), "md/dovecot-uidlist.lock") ;
  {
    struct timespec ts[2] = { { .tv_sec = time(0) - 180 }, { .tv_sec = time(0) - 180 } } ;
    utimensat(AT_FDCWD, p, ts, 0) ;
  }
  CHECK(mbox_open(&m, root, "INBOX", 0) && mbox_count(&m) == 1 && !exists("md/dovecot-uidlist.lock"), "stale lock broken") ;
   /* a live one: waited for */
  put("md/dovecot-uidlist.lock", "") ;
  pid = fork() ;
  if (!pid)
  {
    usleep(400000) ;
    unlink(p) ;
    _exit(0) ;
  }
  clock_gettime(CLOCK_MONOTONIC, &t0) ;
  {
    int ok = mbox_store(&m, 0, MBOX_SEEN, 0, 0) ;
    clock_gettime(CLOCK_MONOTONIC, &t1) ;
    CHECK(ok && (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 300, "fresh lock respected, then taken") ;
  }
  waitpid(pid, 0, 0) ;
  mbox_close(&m) ;
}

 /* Several processes append and sync at once while "deliverd" drops
    files into new/: every message gets exactly one UID. */
static void test_concurrency (void)
{
  enum { PROCS = 4, EACH = 25 } ;
  mbox m = MBOX_ZERO ;
  pid_t pids[PROCS + 1] ;
  int ok = 1 ;
  reset() ;
  mbox_open(&m, root, "INBOX", 0) ;
  mbox_close(&m) ;
  for (int i = 0 ; i < PROCS ; i++)
  {
    pids[i] = fork() ;
    if (!pids[i])
    {
      mbox mm = MBOX_ZERO ;
      mbox_changes ch = MBOX_CHANGES_ZERO ;
      uint32_t uv, uid ;
      if (!mbox_open(&mm, root, "INBOX", 0)) _exit(1) ;
      for (int k = 0 ; k < EACH ; k++)
      {
        if (!mbox_append(root, "INBOX", "c\n", 2, 0, "", 0, -1, &uv, &uid)) _exit(2) ;
        if (!mbox_sync(&mm, &ch)) _exit(3) ;
        if (mbox_count(&mm) && !mbox_store(&mm, k % mbox_count(&mm), MBOX_SEEN, 0, 0) && errno != ENOENT) _exit(4) ;
      }
      _exit(0) ;
    }
  }
  pids[PROCS] = fork() ;
  if (!pids[PROCS])
  {
    for (int k = 0 ; k < EACH ; k++)
    {
      char n[128], t[512], d[512] ;
      FILE *f ;
      snprintf(n, sizeof(n), "17000001%02d.M%dP9.deliverd", k, k) ;
      snprintf(t, sizeof(t), "%s/md/tmp/%s", top, n) ;
      snprintf(d, sizeof(d), "%s/md/new/%s", top, n) ;
      f = fopen(t, "w") ;
      if (!f) _exit(1) ;
      fputs("d\n", f) ;
      fclose(f) ;
      if (rename(t, d)) _exit(1) ;
      usleep(2000) ;
    }
    _exit(0) ;
  }
  for (int i = 0 ; i <= PROCS ; i++)
  {
    int st ;
    waitpid(pids[i], &st, 0) ;
    if (!WIFEXITED(st) || WEXITSTATUS(st)) { ok = 0 ; printf("# child %d status %d\n", i, st) ; }
  }
  CHECK(ok, "concurrent appends, syncs, stores and deliveries: no error") ;
  if (mbox_open(&m, root, "INBOX", 0))
  {
    int uniq = 1 ;
    for (size_t i = 1 ; i < mbox_count(&m) ; i++) if (mbox_at(&m, i)->uid <= mbox_at(&m, i-1)->uid) uniq = 0 ;
    CHECK(mbox_count(&m) == PROCS * EACH + EACH && uniq && m.uidnext == PROCS * EACH + EACH + 1, "every message exactly one UID, none lost") ;
    CHECK(count_dir("md/new") == 0 && count_dir("md/tmp") == 0, "new/ and tmp/ empty") ;
    mbox_close(&m) ;
  }
  else CHECK(0, "reopen after concurrency") ;
}

 /* Entries the uidlist cannot hold or that are no messages: skipped (and
    logged), the rest of the folder usable, UIDVALIDITY stable. A FIFO
    used to block the open for ever: the alarm turns a hang into a FAIL. */
static void on_alarm (int sig)
{
  static char const msg[] = "FAIL foreign entries: hung on a FIFO\n" ;
  (void)sig ;
  if (write(1, msg, sizeof(msg) - 1) < 0) _exit(1) ;
  _exit(1) ;
}

static void test_foreign (void)
{
  mbox m = MBOX_ZERO ;
  char buf[4096] ;
  char p[512], q[200] ;
  uint32_t validity = 0 ;
  int ok ;
  reset() ;
  put("md/new/1700000001.M1P1.host", "one\n") ;
  put("md/new/1700000002.M2P2.host\n4000000000 ", "LF in the name\n") ;
  put("md/cur/1700000003.M3P3.host\rx:2,S", "CR in the name\n") ;
  path(p, sizeof(p), "md/new/1700000004.M4P4.fifo") ;
  CHECK(!mkfifo(p, 0600), "foreign entries: mkfifo") ;
  path(p, sizeof(p), "md/new/1700000005.M5P5.link") ;
  CHECK(!symlink("/etc/passwd", p), "foreign entries: symlink") ;
  path(p, sizeof(p), "md/cur/1700000006.M6P6.dir:2,") ;
  CHECK(!mkdir(p, 0700), "foreign entries: directory") ;
  signal(SIGALRM, &on_alarm) ;
  alarm(20) ;
  ok = mbox_open(&m, root, "INBOX", 0) ;
  CHECK(ok, "foreign entries: the folder opens (a symlink or a FIFO does not make it fail)") ;
  if (ok)
  {
    CHECK(mbox_count(&m) == 1 && !strncmp(mbox_name(&m, 0), "cur/1700000001.M1P1.host", 24), "foreign entries: only the regular, well-named message listed") ;
    validity = m.uidvalidity ;
    mbox_close(&m) ;
  }
  CHECK(slurp("md/dovecot-uidlist", buf, sizeof(buf)) > 0 && !strstr(buf, "4000000000") && !strstr(buf, "M2P2") && !strstr(buf, "M3P3")
     && !strstr(buf, "fifo") && !strstr(buf, "link"), "foreign entries: none of them in dovecot-uidlist") ;
  ok = mbox_open(&m, root, "INBOX", 0) ;
  CHECK(ok && m.uidvalidity == validity && mbox_count(&m) == 1 && !mbox_at(&m, 0)->recent, "foreign entries: reopen keeps UIDVALIDITY, nothing \\Recent again") ;
  if (ok && mbox_count(&m) == 1)
  {
     /* a FIFO, then a symlink, put in a listed message's place */
    int fd ;
    snprintf(q, sizeof(q), "md/%s", mbox_name(&m, 0)) ;
    path(p, sizeof(p), q) ;
    unlink(p) ;
    CHECK(!mkfifo(p, 0600), "foreign entries: FIFO in a message's place") ;
    fd = mbox_open_msg(&m, 0) ;
    CHECK(fd == -1 && errno == EPROTO, "foreign entries: a FIFO message is unavailable, not a hang") ;
    if (fd >= 0) close(fd) ;
    unlink(p) ;
    CHECK(!symlink("/etc/passwd", p), "foreign entries: symlink in a message's place") ;
    fd = mbox_open_msg(&m, 0) ;
    CHECK(fd == -1 && errno == ELOOP, "foreign entries: a symlinked message is unavailable") ;
    if (fd >= 0) close(fd) ;
  }
  if (ok) mbox_close(&m) ;
  alarm(0) ;
}

int main (void)
{
  char tmpl[] = "/tmp/mbox-test.XXXXXX" ;
  char cmd[400] ;
  if (!mkdtemp(tmpl)) { perror("mkdtemp") ; return 111 ; }
  snprintf(top, sizeof(top), "%s", tmpl) ;
  snprintf(root, sizeof(root), "%s/md", top) ;
  test_mutf7() ;
  test_uidlist() ;
  test_newcur() ;
  test_pop3uidl() ;
  test_migrate() ;
  test_flags() ;
  test_expunge() ;
  test_append_copy() ;
  test_folders() ;
  test_locks() ;
  test_concurrency() ;
  test_foreign() ;
  snprintf(cmd, sizeof(cmd), "rm -rf %s", top) ;
  if (system(cmd)) return 111 ;
  return check_done() ;
}

/* ISC license. */

/* imap-session's sequence-set resolution (imapd/imap_session_resolve.c)
 * and UID set formatting (imap_session_fmt_uids.c): sequence numbers
 * and UIDs to message indexes, '*', "n:*" beyond the top, "$", overlaps,
 * out-of-range sequence numbers, huge UID ranges. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "common/mbox.h"
#include "imapd/imap_session-internal.h"
#include "tests/unit/check.h"

static imap_session s ;

static void setbox (uint32_t const *uids, size_t n)
{
  genalloc_setlen(mbox_msg, &s.box.msgs, 0) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mbox_msg m ;
    memset(&m, 0, sizeof m) ;
    m.uid = uids[i] ;
    genalloc_append(mbox_msg, &s.box.msgs, &m) ;
  }
}

/* Resolves text; writes the indexes as "0,2,3" into out (or "ERANGE"). */
static char const *resolve (char const *text, int uid)
{
  static stralloc out = STRALLOC_ZERO ;
  imap_cursor c = { .s = text, .len = strlen(text), .pos = 0, .depth = 0, .utf8 = 0, .error = 0 } ;
  imap_seqset set = IMAP_SEQSET_ZERO ;
  genalloc idx = GENALLOC_ZERO ;
  out.len = 0 ;
  if (!imap_seqset_parse(&c, &set)) stralloc_cats(&out, "PARSE") ;
  else if (!imap_resolve_set(&s, &set, uid, &idx)) stralloc_cats(&out, errno == ERANGE ? "ERANGE" : "ERROR") ;
  else
    for (size_t i = 0 ; i < genalloc_len(size_t, &idx) ; i++)
    {
      char buf[24] ;
      size_t v = genalloc_s(size_t, &idx)[i], k = sizeof buf ;
      buf[--k] = 0 ;
      do buf[--k] = '0' + v % 10 ; while (v /= 10) ;
      if (i) stralloc_catb(&out, ",", 1) ;
      stralloc_cats(&out, buf + k) ;
    }
  stralloc_0(&out) ;
  imap_seqset_free(&set) ;
  genalloc_free(size_t, &idx) ;
  return out.s ;
}

static char const *fmt (uint32_t const *u, size_t n)
{
  static stralloc out = STRALLOC_ZERO ;
  out.len = 0 ;
  if (!imap_fmt_uids(&out, u, n) || !stralloc_0(&out)) return "ERROR" ;
  return out.s ;
}

int main (void)
{
  static uint32_t const uids[5] = { 2, 3, 5, 8, 13 } ;
  mbox zero = MBOX_ZERO ;
  s.box = zero ;
  s.saved = (genalloc)GENALLOC_ZERO ;
  setbox(uids, 5) ;

  CHECK(!strcmp(resolve("1:*", 1), "0,1,2,3,4"), "uid all") ;
  CHECK(!strcmp(resolve("4:6", 1), "2"), "uid range with gaps") ;
  CHECK(!strcmp(resolve("100:*", 1), "4"), "uid n:* above the top names the top") ;
  CHECK(!strcmp(resolve("*", 1), "4"), "uid star") ;
  CHECK(!strcmp(resolve("1,4,6,7", 1), ""), "uid absent is no error") ;
  CHECK(!strcmp(resolve("13:2", 1), "0,1,2,3,4"), "uid reversed range") ;
  CHECK(!strcmp(resolve("2:3", 0), "1,2"), "seq range") ;
  CHECK(!strcmp(resolve("3:1", 0), "0,1,2"), "seq reversed range") ;
  CHECK(!strcmp(resolve("*", 0), "4"), "seq star") ;
  CHECK(!strcmp(resolve("*:4", 0), "3,4"), "seq star first") ;
  CHECK(!strcmp(resolve("1:3,2:4,3", 0), "0,1,2,3"), "seq overlaps merged") ;
  CHECK(!strcmp(resolve("6", 0), "ERANGE"), "seq beyond the mailbox") ;
  CHECK(!strcmp(resolve("2,9:10", 0), "ERANGE"), "seq partly beyond the mailbox") ;
  {
    clock_t t0 = clock() ;
    CHECK(!strcmp(resolve("1:4294967295", 1), "0,1,2,3,4"), "uid huge range") ;
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5, "uid huge range is not walked") ;
  }
  {
    uint32_t sv[2] = { 3, 13 } ;
    genalloc_catb(uint32_t, &s.saved, sv, 2) ;
    CHECK(!strcmp(resolve("$", 0), "1,4"), "saved result is UIDs for a seq command") ;
    CHECK(!strcmp(resolve("$", 1), "1,4"), "saved result for a UID command") ;
  }
  setbox(uids, 0) ;
  CHECK(!strcmp(resolve("1:*", 1), ""), "empty mailbox uid all") ;
  CHECK(!strcmp(resolve("1", 0), "ERANGE"), "empty mailbox seq 1") ;

  {
    static uint32_t const a[6] = { 1, 2, 3, 5, 7, 8 } ;
    static uint32_t const b[1] = { 4294967295u } ;
    CHECK(!strcmp(fmt(a, 6), "1:3,5,7:8"), "uid set compact") ;
    CHECK(!strcmp(fmt(b, 1), "4294967295"), "uid set top") ;
    CHECK(!strcmp(fmt(a, 0), ""), "uid set empty") ;
  }
  return check_done() ;
}

/* ISC license. */

 /* common/mbox_cache.c (posthaste-cache, mbox_header) on a temporary
    Maildir: the header block as IMAP sees it, served from the file and
    then from the cache, across flag renames, a damaged cache file, a
    missing one, and expunges. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox.h"
#include "tests/unit/check.h"

#define N 20

static char top[256] ;
static char cachepath[512] ;

static char const *message (unsigned int i, stralloc *sa)
{
  char buf[256] ;
  sa->len = 0 ;
  snprintf(buf, sizeof(buf), "From: Sender %u <s%u@example.org>\nSubject: message %u\n", i, i, i) ;
  stralloc_cats(sa, buf) ;
  if (i == 3) stralloc_cats(sa, "X-Long: a folded\n\tcontinuation line\n") ;
  stralloc_cats(sa, "\nbody of ") ;
  snprintf(buf, sizeof(buf), "%u\nFrom: not a header\n", i) ;
  stralloc_cats(sa, buf) ;
  stralloc_0(sa) ;
  return sa->s ;
}

/* what mbox_header must give for message i: CRLF, up to the empty line */
static void expected (unsigned int i, stralloc *out)
{
  stralloc m = STRALLOC_ZERO ;
  char const *s = message(i, &m) ;
  char const *end = strstr(s, "\n\n") ;
  out->len = 0 ;
  for (char const *p = s ; p <= end + 1 ; p++)
  {
    if (*p == '\n') stralloc_catb(out, "\r", 1) ;
    stralloc_catb(out, p, 1) ;
  }
  stralloc_free(&m) ;
}

static off_t cache_size (void)
{
  struct stat st ;
  return stat(cachepath, &st) == 0 ? st.st_size : -1 ;
}

/* every message's header right? */
static int all_right (mbox *m)
{
  stralloc want = STRALLOC_ZERO ;
  int ok = 1 ;
  for (size_t i = 0 ; i < mbox_count(m) && ok ; i++)
  {
    char const *h ;
    size_t hlen ;
    unsigned int k ;
    if (!mbox_header(m, i, &h, &hlen)) { ok = 0 ; break ; }
    /* the UID is the message's number + 1 (appended in order), less the expunged */
    if (sscanf(h, "From: Sender %u", &k) != 1) { ok = 0 ; break ; }
    expected(k, &want) ;
    ok = hlen == want.len && !memcmp(h, want.s, hlen) ;
  }
  stralloc_free(&want) ;
  return ok ;
}

int main (void)
{
  mbox m = MBOX_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  uint32_t uidv, uid ;
  char const *h ;
  size_t hlen ;
  off_t size1 ;

  snprintf(top, sizeof(top), "/tmp/mbox_cache.%d", (int)getpid()) ;
  snprintf(cachepath, sizeof(cachepath), "%s/posthaste-cache", top) ;
  if (!mbox_setup_defaults(top)) { perror("mbox_setup_defaults") ; return 111 ; }
  for (unsigned int i = 0 ; i < N ; i++)
  {
    char const *s = message(i, &sa) ;
    if (!mbox_append(top, "INBOX", s, strlen(s), 0, "", 0, -1, &uidv, &uid)) { perror("mbox_append") ; return 111 ; }
  }

  CHECK(mbox_open(&m, top, "INBOX", 0) && mbox_count(&m) == N, "open") ;
  CHECK(cache_size() == -1, "no cache before a header is asked for") ;
  CHECK(all_right(&m), "headers read from the files") ;
  CHECK(mbox_header(&m, 3, &h, &hlen) && hlen > 4 && !memcmp(h + hlen - 4, "\r\n\r\n", 4), "header block ends with its empty line") ;
  mbox_cache_release(&m) ;
  size1 = cache_size() ;
  CHECK(size1 > 0, "the cache is written when the command is done") ;
  CHECK(all_right(&m), "headers from the cache") ;
  mbox_cache_release(&m) ;
  CHECK(cache_size() == size1, "nothing added when everything was cached") ;

  /* a flag change renames the file: the base name, so the record, stays */
  {
    uint64_t modseq ;
    CHECK(mbox_store(&m, 5, MBOX_SEEN | MBOX_FLAGGED, 0, &modseq), "store") ;
    CHECK(all_right(&m), "headers after a flag rename") ;
    mbox_cache_release(&m) ;
    CHECK(cache_size() == size1, "a rename does not stale the record") ;
  }

  /* a torn append followed by a good one: the damaged part is not believed */
  {
    int fd = open(cachepath, O_WRONLY | O_APPEND) ;
    char junk[40] ;
    memcpy(junk, "PHCR", 4) ;
    memset(junk + 4, 0x7f, sizeof(junk) - 4) ;
    CHECK(fd >= 0 && write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "damage the cache") ;
    if (fd >= 0) close(fd) ;
    CHECK(all_right(&m), "headers with a damaged cache") ;
    mbox_cache_release(&m) ;
    CHECK(cache_size() > 0 && cache_size() <= size1, "a damaged cache is rewritten") ;
    CHECK(all_right(&m), "headers after the rewrite") ;
    mbox_cache_release(&m) ;
  }

  /* garbage in place of the file: a foreign file is replaced */
  {
    int fd = open(cachepath, O_WRONLY | O_TRUNC) ;
    CHECK(fd >= 0 && write(fd, "not a cache at all\n", 19) == 19, "overwrite the cache") ;
    if (fd >= 0) close(fd) ;
    CHECK(all_right(&m), "headers with a foreign cache file") ;
    mbox_cache_release(&m) ;
    CHECK(cache_size() == size1, "the foreign file is replaced by a whole cache") ;
  }

  /* deleted: rebuilt as headers are asked for */
  unlink(cachepath) ;
  CHECK(all_right(&m), "headers without the cache file") ;
  mbox_cache_release(&m) ;
  CHECK(cache_size() == size1, "the cache comes back") ;

  /* expunges: the records stay until they outnumber the live ones */
  {
    mbox_changes ch = MBOX_CHANGES_ZERO ;
    uint32_t uids[2] = { mbox_at(&m, 0)->uid, mbox_at(&m, 1)->uid } ;
    uint64_t modseq ;
    CHECK(mbox_store(&m, 0, MBOX_DELETED, 0, &modseq) && mbox_store(&m, 1, MBOX_DELETED, 0, &modseq), "mark deleted") ;
    CHECK(mbox_expunge(&m, uids, 2, 0, &ch) && mbox_count(&m) == N - 2, "expunge") ;
    mbox_changes_free(&ch) ;
    CHECK(all_right(&m), "headers after an expunge") ;
    mbox_cache_release(&m) ;
  }

  /* a header too long for the cache is still served */
  {
    stralloc big = STRALLOC_ZERO ;
    mbox_changes ch = MBOX_CHANGES_ZERO ;
    stralloc_cats(&big, "From: Sender 99 <s99@example.org>\nX-Big: ") ;
    for (unsigned int k = 0 ; k < 40000 ; k++) stralloc_catb(&big, "x", 1) ;
    stralloc_cats(&big, "\n\nbody\n") ;
    CHECK(mbox_append(top, "INBOX", big.s, big.len, 0, "", 0, -1, &uidv, &uid), "append a big header") ;
    CHECK(mbox_sync(&m, &ch), "sync") ;
    mbox_changes_free(&ch) ;
    CHECK(mbox_header(&m, mbox_count(&m) - 1, &h, &hlen) && hlen == big.len - 5 + 3 && !memcmp(h + hlen - 4, "\r\n\r\n", 4), "big header served") ;
    stralloc_free(&big) ;
  }

  /* idle: the list packed and the names dropped; resume: all back, with
     the file names as they are now (another process renamed one) */
  {
    size_t n = mbox_count(&m) ;
    mbox_msg *before = malloc(n * sizeof(mbox_msg)) ;
    char oldname[256], newname[300], p1[600], p2[600] ;
    int same = 1 ;
    memcpy(before, mbox_at(&m, 0), n * sizeof(mbox_msg)) ;
    snprintf(oldname, sizeof(oldname), "%s", mbox_name(&m, 2)) ;
    mbox_idle(&m) ;
    CHECK(!mbox_count(&m), "idle: the list is packed away") ;
    snprintf(p1, sizeof(p1), "%s/%s", top, oldname) ;
    snprintf(newname, sizeof(newname), "%.*sT", (int)strlen(oldname), oldname) ;
    if (!strchr(oldname, ':')) snprintf(newname, sizeof(newname), "%s:2,T", oldname) ;
    snprintf(p2, sizeof(p2), "%s/%s", top, newname) ;
    CHECK(rename(p1, p2) == 0, "rename a file behind the idle handle") ;
    CHECK(mbox_resume(&m) && mbox_count(&m) == n, "resume") ;
    for (size_t i = 0 ; i < n && same ; i++)
    {
      mbox_msg const *x = mbox_at(&m, i) ;
      same = x->uid == before[i].uid && x->flags == before[i].flags && x->keywords == before[i].keywords
        && x->modseq == before[i].modseq && x->size == before[i].size && x->fsize == before[i].fsize
        && x->internaldate == before[i].internaldate && x->recent == before[i].recent ;
    }
    CHECK(same, "resume gives the same list") ;
    CHECK(!strcmp(mbox_name(&m, 2), newname), "resume finds the renamed file") ;
    CHECK(mbox_header(&m, 2, &h, &hlen) && !memcmp(h, "From: Sender 4 ", 15), "read after resume") ;
    mbox_cache_release(&m) ;
    CHECK(mbox_resume(&m), "resume of a list not packed does nothing") ;
    free(before) ;
  }

  mbox_close(&m) ;
  stralloc_free(&sa) ;
  {
    char cmd[300] ;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top) ;
    if (system(cmd)) return 111 ;
  }
  return check_done() ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/types.h>
#include <skalibs/uint32.h>
#include <skalibs/uint64.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* posthaste-modseq (docs/mailstore.md): CONDSTORE/QRESYNC state of a
    folder, an append-only log compacted by rewriting.
      "posthaste-modseq 1 V<uidvalidity> H<highestmodseq> B<floor>"
      "M<uid> <modseq> :<letters>"   the message's modseq and the flag
                                      letters of its file name then
      "X<first>-<last> <modseq>"     UIDs expunged at that modseq
    A later M line for a UID replaces an earlier one; an X line removes
    the UIDs' M lines. The highest modseq is the largest seen anywhere.
    A last line without its LF (a torn append) is ignored and the file
    rewritten at the next change; any other bad line makes it corrupt. */

void mbox_modseq_free (mbox_modseq *ms)
{
  genalloc_free(mbox_msrec, &ms->recs) ;
  genalloc_free(mbox_msrange, &ms->expunged) ;
  stralloc_free(&ms->sa) ;
  stralloc_free(&ms->pending) ;
}

 /* index of uid, or of where it would go, in *at */
static int search (mbox_modseq const *ms, uint32_t uid, size_t *at)
{
  mbox_msrec const *r = genalloc_s(mbox_msrec const, &ms->recs) ;
  size_t lo = 0, hi = genalloc_len(mbox_msrec, &ms->recs) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (r[mid].uid == uid) { *at = mid ; return 1 ; }
    if (r[mid].uid < uid) lo = mid + 1 ; else hi = mid ;
  }
  *at = lo ;
  return 0 ;
}

ssize_t mbox_modseq_find (mbox_modseq const *ms, uint32_t uid)
{
  size_t at ;
  return search(ms, uid, &at) ? (ssize_t)at : -1 ;
}

static int set (mbox_modseq *ms, uint32_t uid, uint64_t modseq, char const *letters, size_t len)
{
  size_t at ;
  mbox_msrec r = { .uid = uid, .modseq = modseq, .letters = ms->sa.len } ;
  if (!stralloc_catb(&ms->sa, letters, len) || !stralloc_0(&ms->sa)) return 0 ;
  if (search(ms, uid, &at)) genalloc_s(mbox_msrec, &ms->recs)[at] = r ;
  else if (!genalloc_insertb(mbox_msrec, &ms->recs, at, &r, 1)) return 0 ;
  if (modseq > ms->highest) ms->highest = modseq ;
  return 1 ;
}

static void drop_range (mbox_modseq *ms, uint32_t first, uint32_t last)
{
  size_t a, b ;
  mbox_msrec *r = genalloc_s(mbox_msrec, &ms->recs) ;
  size_t n = genalloc_len(mbox_msrec, &ms->recs) ;
  search(ms, first, &a) ;
  b = a ;
  while (b < n && r[b].uid <= last) b++ ;
  if (b > a)
  {
    memmove(r + a, r + b, (n - b) * sizeof(mbox_msrec)) ;
    genalloc_setlen(mbox_msrec, &ms->recs, n - (b - a)) ;
  }
}

static int add_range (mbox_modseq *ms, uint32_t first, uint32_t last, uint64_t modseq, size_t mergefrom)
{
  size_t n = genalloc_len(mbox_msrange, &ms->expunged) ;
  mbox_msrange *x = genalloc_s(mbox_msrange, &ms->expunged) ;
  if (n > mergefrom && x[n-1].modseq == modseq && x[n-1].last + 1 == first)
    x[n-1].last = last ;
  else
  {
    mbox_msrange r = { .first = first, .last = last, .modseq = modseq } ;
    if (!genalloc_append(mbox_msrange, &ms->expunged, &r)) return 0 ;
  }
  drop_range(ms, first, last) ;
  if (modseq > ms->highest) ms->highest = modseq ;
  return 1 ;
}

static int parse_line (mbox_modseq *ms, char const *s, size_t len)
{
  uint64_t a, b, c ;
  size_t n, i ;
  if (!len) return 0 ;
  switch (s[0])
  {
    case 'M' :
      n = uint64_scan(s + 1, &a) ; i = 1 + n ;
      if (!n || !a || a > UINT32_MAX || i >= len || s[i] != ' ') return 0 ;
      n = uint64_scan(s + i + 1, &b) ; i += 1 + n ;
      if (!n || i + 2 > len || s[i] != ' ' || s[i+1] != ':') return 0 ;
      i += 2 ;
      if (memchr(s + i, '/', len - i)) return 0 ;
      return set(ms, (uint32_t)a, b, s + i, len - i) ;
    case 'X' :
      n = uint64_scan(s + 1, &a) ; i = 1 + n ;
      if (!n || !a || a > UINT32_MAX || i >= len || s[i] != '-') return 0 ;
      n = uint64_scan(s + i + 1, &b) ; i += 1 + n ;
      if (!n || b < a || b > UINT32_MAX || i >= len || s[i] != ' ') return 0 ;
      n = uint64_scan(s + i + 1, &c) ; i += 1 + n ;
      if (!n || i != len) return 0 ;
      return add_range(ms, (uint32_t)a, (uint32_t)b, c, SIZE_MAX) ;
    case 'H' :
      n = uint64_scan(s + 1, &a) ;
      if (!n || 1 + n != len) return 0 ;
      if (a > ms->highest) ms->highest = a ;
      return 1 ;
    default : return 0 ;
  }
}

static int parse_header (mbox_modseq *ms, char const *s, size_t len)
{
  static char const magic[] = "posthaste-modseq 1 " ;
  size_t i = sizeof(magic) - 1 ;
  if (len < i || memcmp(s, magic, i)) return 0 ;
  while (i < len)
  {
    uint64_t v ;
    char key = s[i] ;
    size_t n = uint64_scan(s + i + 1, &v) ;
    if (!n) return 0 ;
    if (key == 'V' && v <= UINT32_MAX) ms->uidvalidity = (uint32_t)v ;
    else if (key == 'H') { if (v > ms->highest) ms->highest = v ; }
    else if (key == 'B') ms->floor = v ;
    else return 0 ;
    i += 1 + n ;
    if (i < len && s[i++] != ' ') return 0 ;
  }
  return 1 ;
}

int mbox_modseq_parse (mbox_modseq *ms, char const *s, size_t len)
{
  size_t i = 0 ;
  int first = 1 ;
  ms->present = 0 ; ms->uidvalidity = 0 ; ms->highest = 0 ; ms->floor = 0 ;
  ms->recs.len = 0 ; ms->expunged.len = 0 ; ms->sa.len = 0 ; ms->pending.len = 0 ;
  ms->lines = 0 ; ms->rewrite = 0 ;
  if (memchr(s, 0, len)) goto bad ;
  while (i < len)
  {
    char const *nl = memchr(s + i, '\n', len - i) ;
    if (!nl) { ms->rewrite = 1 ; break ; }   /* torn append */
    if ((size_t)(nl - s) - i > MBOX_LINE_MAX) goto bad ;
    if (first)
    {
      if (!parse_header(ms, s + i, nl - s - i)) goto bad ;
      first = 0 ;
    }
    else if (!parse_line(ms, s + i, nl - s - i)) goto bad ;
    ms->lines++ ;
    i = nl - s + 1 ;
  }
  if (first || !ms->uidvalidity) goto bad ;
  ms->present = 1 ;
  ms->xwritten = genalloc_len(mbox_msrange, &ms->expunged) ;
  return 1 ;
 bad:
  if (errno != ENOMEM) errno = EPROTO ;
  ms->present = 0 ;
  ms->rewrite = 1 ;
  return 0 ;
}

int mbox_modseq_read (int dirfd, mbox_modseq *ms)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = mbox_slurp(dirfd, MBOX_MODSEQ, &sa) ;
  if (r <= 0)
  {
    stralloc_free(&sa) ;
    if (!r && errno != EPROTO) return 0 ;
    ms->present = 0 ; ms->uidvalidity = 0 ; ms->highest = 0 ; ms->floor = 0 ;
    ms->recs.len = 0 ; ms->expunged.len = 0 ; ms->sa.len = 0 ; ms->pending.len = 0 ;
    ms->lines = 0 ; ms->rewrite = 1 ; ms->xwritten = 0 ;
    return 1 ;
  }
  errno = 0 ;
  r = mbox_modseq_parse(ms, sa.s, sa.len) ;
  stralloc_free(&sa) ;
  return r || errno == EPROTO ;
}

static int fmt_m (stralloc *out, uint32_t uid, uint64_t modseq, char const *letters)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(out, "M", 1)
    && stralloc_catb(out, fmt, uint32_fmt(fmt, uid))
    && stralloc_catb(out, " ", 1)
    && stralloc_catb(out, fmt, uint64_fmt(fmt, modseq))
    && stralloc_catb(out, " :", 2)
    && stralloc_cats(out, letters)
    && stralloc_catb(out, "\n", 1) ;
}

static int fmt_x (stralloc *out, mbox_msrange const *x)
{
  char fmt[UINT64_FMT] ;
  return stralloc_catb(out, "X", 1)
    && stralloc_catb(out, fmt, uint32_fmt(fmt, x->first))
    && stralloc_catb(out, "-", 1)
    && stralloc_catb(out, fmt, uint32_fmt(fmt, x->last))
    && stralloc_catb(out, " ", 1)
    && stralloc_catb(out, fmt, uint64_fmt(fmt, x->modseq))
    && stralloc_catb(out, "\n", 1) ;
}

int mbox_modseq_set (mbox_modseq *ms, uint32_t uid, uint64_t modseq, char const *letters)
{
  return set(ms, uid, modseq, letters, strlen(letters)) && fmt_m(&ms->pending, uid, modseq, letters) ;
}

int mbox_modseq_expunge (mbox_modseq *ms, uint32_t uid, uint64_t modseq)
{
  return add_range(ms, uid, uid, modseq, ms->xwritten) ;
}

int mbox_modseq_format (mbox_modseq const *ms, stralloc *out)
{
  char fmt[UINT64_FMT] ;
  mbox_msrec const *r = genalloc_s(mbox_msrec const, &ms->recs) ;
  mbox_msrange const *x = genalloc_s(mbox_msrange const, &ms->expunged) ;
  size_t n = genalloc_len(mbox_msrec, &ms->recs) ;
  size_t nx = genalloc_len(mbox_msrange, &ms->expunged) ;
  if (!stralloc_cats(out, "posthaste-modseq 1 V")
   || !stralloc_catb(out, fmt, uint32_fmt(fmt, ms->uidvalidity))
   || !stralloc_catb(out, " H", 2)
   || !stralloc_catb(out, fmt, uint64_fmt(fmt, ms->highest))
   || !stralloc_catb(out, " B", 2)
   || !stralloc_catb(out, fmt, uint64_fmt(fmt, ms->floor))
   || !stralloc_catb(out, "\n", 1)) return 0 ;
   /* expunges first: a log where a UID came back after its expunge
      (written by hand) reads the same after the rewrite */
  for (size_t i = 0 ; i < nx ; i++)
    if (!fmt_x(out, x + i)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!fmt_m(out, r[i].uid, r[i].modseq, ms->sa.s + r[i].letters)) return 0 ;
  return 1 ;
}

 /* The log grows by the changes only; once it holds more than twice the
    live lines (plus slack), it is rewritten whole. */
int mbox_modseq_write (int dirfd, mbox_modseq *ms)
{
  stralloc out = STRALLOC_ZERO ;
  size_t live = genalloc_len(mbox_msrec, &ms->recs) + genalloc_len(mbox_msrange, &ms->expunged) + 1 ;
  size_t nx = genalloc_len(mbox_msrange, &ms->expunged) ;
  int ok = 0 ;
  if (ms->rewrite || !ms->present || ms->lines > 2 * live + 256)
  {
    if (!mbox_modseq_format(ms, &out)) goto end ;
    if (!mbox_write_file(dirfd, MBOX_MODSEQ, MBOX_MODSEQ_TMP, out.s, out.len)) goto end ;
    ms->lines = live ;
  }
  else
  {
    int fd ;
    char fmt[UINT64_FMT] ;
    if (!stralloc_cat(&out, &ms->pending)) goto end ;
    for (size_t i = ms->xwritten ; i < nx ; i++)
      if (!fmt_x(&out, genalloc_s(mbox_msrange, &ms->expunged) + i)) goto end ;
    if (!stralloc_catb(&out, "H", 1) || !stralloc_catb(&out, fmt, uint64_fmt(fmt, ms->highest)) || !stralloc_catb(&out, "\n", 1)) goto end ;
    fd = openat(dirfd, MBOX_MODSEQ, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC) ;
    if (fd == -1) goto end ;
    if (allwrite(fd, out.s, out.len) < out.len || fdatasync(fd) == -1)
    {
      int e = errno ;
      fd_close(fd) ;
      ms->rewrite = 1 ;
      errno = e ;
      goto end ;
    }
    fd_close(fd) ;
    for (size_t i = 0 ; i < out.len ; i++) if (out.s[i] == '\n') ms->lines++ ;
  }
  ms->present = 1 ;
  ms->rewrite = 0 ;
  ms->pending.len = 0 ;
  ms->xwritten = nx ;
  ok = 1 ;
 end:
  stralloc_free(&out) ;
  return ok ;
}

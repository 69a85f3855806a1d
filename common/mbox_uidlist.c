/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>

#include <skalibs/types.h>
#include <skalibs/uint32.h>
#include <skalibs/uint64.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* dovecot-uidlist (Dovecot's maildir-uidlist.c, docs/mailstore.md):
      version 1 (Courier's courierimapuiddb too):
        "1 <uidvalidity> <nextuid>"  /  "<uid> <filename>"
      version 2 (a few Dovecot development releases):
        "2 <uidvalidity> <nextuid>"  /  "<uid> <flags> <filename>"
      version 3, what we write:
        "3 V<uidvalidity> N<nextuid> G<mailbox guid, 32 hex> [<key><value>...]"
        "<uid> [<key><value> ...] :<filename>"
    The file name is kept only up to ':' (the base name; flags change).
    Dovecot appends records without rewriting the header, so the next
    UID is the larger of N and the last UID + 1. UIDs must ascend. */

void mbox_uidlist_free (mbox_uidlist *ul)
{
  genalloc_free(mbox_uidrec, &ul->recs) ;
  stralloc_free(&ul->sa) ;
}

ssize_t mbox_uidlist_find (mbox_uidlist const *ul, uint32_t uid)
{
  mbox_uidrec const *r = genalloc_s(mbox_uidrec const, &ul->recs) ;
  size_t lo = 0, hi = genalloc_len(mbox_uidrec, &ul->recs) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (r[mid].uid == uid) return mid ;
    if (r[mid].uid < uid) lo = mid + 1 ; else hi = mid ;
  }
  return -1 ;
}

int mbox_uidlist_add (mbox_uidlist *ul, uint32_t uid, char const *base, size_t baselen, uint64_t vsize)
{
  mbox_uidrec r = { .uid = uid, .vsize = vsize } ;
  size_t n = genalloc_len(mbox_uidrec, &ul->recs) ;
  if (!uid || (n && genalloc_s(mbox_uidrec, &ul->recs)[n-1].uid >= uid)) return (errno = EINVAL, 0) ;
  /* a record is one line: a name with a control byte would break the
   * file for every reader (the listing skips such files already) */
  for (size_t i = 0 ; i < baselen ; i++)
    if ((unsigned char)base[i] < 0x20 || (unsigned char)base[i] == 0x7f) return (errno = EINVAL, 0) ;
  r.base = ul->sa.len ;
  if (!stralloc_catb(&ul->sa, base, baselen) || !stralloc_0(&ul->sa)) return 0 ;
  r.ext = ul->sa.len - 1 ;   /* the NUL just written: "" */
  r.guid = r.ext ;
  if (!genalloc_append(mbox_uidrec, &ul->recs, &r)) return 0 ;
  if (ul->nextuid <= uid) ul->nextuid = uid + 1 ;
  return 1 ;
}

static size_t scan_u32 (char const *s, size_t len, uint32_t *u)
{
  uint64_t v = 0 ;
  size_t i = 0 ;
  while (i < len && i < 11 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0') ;
  if (!i || v > UINT32_MAX) return 0 ;
  *u = (uint32_t)v ;
  return i ;
}

static size_t scan_u64 (char const *s, size_t len, uint64_t *u)
{
  uint64_t v = 0 ;
  size_t i = 0 ;
  while (i < len && i < 19 && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0') ;
  if (!i) return 0 ;
  *u = v ;
  return i ;
}

static int parse_header (mbox_uidlist *ul, char const *s, size_t len)
{
  size_t i = 0 ;
  if (len < 2 || s[1] != ' ' || (s[0] != '1' && s[0] != '2' && s[0] != '3')) return 0 ;
  ul->version = s[0] - '0' ;
  i = 2 ;
  if (ul->version < 3)
  {
    size_t n = scan_u32(s + i, len - i, &ul->uidvalidity) ;
    if (!n || i + n >= len || s[i + n] != ' ') return 0 ;
    i += n + 1 ;
    n = scan_u32(s + i, len - i, &ul->nextuid) ;
    if (!n || i + n != len || !ul->uidvalidity) return 0 ;
    ul->hdrext = ul->sa.len ;
    return stralloc_0(&ul->sa) ;
  }
  ul->hdrext = ul->sa.len ;
  while (i < len)
  {
    size_t j = i ;
    while (j < len && s[j] != ' ') j++ ;
    if (j > i)
    {
      char key = s[i] ;
      if (key == 'V' || key == 'N')
      {
        uint32_t v ;
        if (scan_u32(s + i + 1, j - i - 1, &v) != j - i - 1) return 0 ;
        if (key == 'V') ul->uidvalidity = v ; else ul->nextuid = v ;
      }
      else if (key == 'G' && j - i - 1 == 32)
      {
        memcpy(ul->guid, s + i + 1, 32) ;
        ul->guid[32] = 0 ;
      }
      else if ((ul->sa.len > ul->hdrext && !stralloc_catb(&ul->sa, " ", 1))
            || !stralloc_catb(&ul->sa, s + i, j - i)) return 0 ;
    }
    i = j + 1 ;
  }
  if (!ul->uidvalidity) return 0 ;
  return stralloc_0(&ul->sa) ;
}

static int parse_record (mbox_uidlist *ul, char const *s, size_t len)
{
  mbox_uidrec r = { .vsize = UINT64_MAX } ;
  size_t n = scan_u32(s, len, &r.uid) ;
  size_t i, fstart ;
  size_t nrecs = genalloc_len(mbox_uidrec, &ul->recs) ;
  stralloc ext = STRALLOC_ZERO ;
  char const *guid = "" ;
  size_t guidlen = 0 ;
  if (!n || !r.uid || n >= len || s[n] != ' ') return 0 ;
  if (nrecs && genalloc_s(mbox_uidrec, &ul->recs)[nrecs-1].uid >= r.uid) return 0 ;
  i = n + 1 ;
  if (ul->version == 3)
  {
    for (;;)
    {
      size_t j = i ;
      if (i >= len) goto bad ;
      if (s[i] == ':') { fstart = i + 1 ; break ; }
      while (j < len && s[j] != ' ') j++ ;
      if (j == i) { i++ ; continue ; }
      if (s[i] == 'W')
      {
        if (scan_u64(s + i + 1, j - i - 1, &r.vsize) != j - i - 1) goto bad ;
      }
      else if (s[i] == 'G') { guid = s + i + 1 ; guidlen = j - i - 1 ; }
      else if ((ext.len && !stralloc_catb(&ext, " ", 1)) || !stralloc_catb(&ext, s + i, j - i)) goto bad ;
      if (j >= len) goto bad ;
      i = j + 1 ;
    }
  }
  else
  {
     /* versions 1 and 2: the file name is the last field */
    fstart = len ;
    while (fstart > i && s[fstart - 1] != ' ') fstart-- ;
  }
  {
    size_t end = fstart ;
    while (end < len && s[end] != ':') end++ ;
    if (end == fstart || memchr(s + fstart, '/', end - fstart)) goto bad ;
    r.base = ul->sa.len ;
    if (!stralloc_catb(&ul->sa, s + fstart, end - fstart) || !stralloc_0(&ul->sa)) goto bad ;
  }
  r.ext = ul->sa.len ;
  if (!stralloc_catb(&ul->sa, ext.s, ext.len) || !stralloc_0(&ul->sa)) goto bad ;
  r.guid = ul->sa.len ;
  if (!stralloc_catb(&ul->sa, guid, guidlen) || !stralloc_0(&ul->sa)) goto bad ;
  stralloc_free(&ext) ;
  if (!genalloc_append(mbox_uidrec, &ul->recs, &r)) return 0 ;
  if (ul->nextuid <= r.uid) ul->nextuid = r.uid + 1 ;
  return 1 ;
 bad:
  stralloc_free(&ext) ;
  return 0 ;
}

int mbox_uidlist_parse (mbox_uidlist *ul, char const *s, size_t len)
{
  size_t i = 0 ;
  int first = 1 ;
  ul->version = 0 ; ul->uidvalidity = 0 ; ul->nextuid = 1 ; ul->guid[0] = 0 ;
  ul->sa.len = 0 ; ul->recs.len = 0 ;
  if (!stralloc_0(&ul->sa)) return 0 ;   /* offset 0: "" */
  ul->hdrext = 0 ;
  if (memchr(s, 0, len)) goto bad ;   /* names are C strings */
  while (i < len)
  {
    char const *nl = memchr(s + i, '\n', len - i) ;
    size_t end = nl ? (size_t)(nl - s) : len ;
    if (end - i > MBOX_LINE_MAX) goto bad ;
    if (first)
    {
      if (!parse_header(ul, s + i, end - i)) goto bad ;
      first = 0 ;
    }
    else if (end > i && !parse_record(ul, s + i, end - i)) goto bad ;
    i = end + 1 ;
  }
  if (first) goto bad ;
  return 1 ;
 bad:
  if (errno != ENOMEM) errno = EPROTO ;
  ul->version = 0 ;
  return 0 ;
}

int mbox_uidlist_read (int dirfd, mbox_uidlist *ul)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = mbox_slurp(dirfd, MBOX_UIDLIST, &sa) ;
  if (r < 0)
  {
    ul->version = 0 ; ul->uidvalidity = 0 ; ul->nextuid = 1 ; ul->guid[0] = 0 ;
    ul->sa.len = 0 ; ul->recs.len = 0 ; ul->hdrext = 0 ;
    stralloc_free(&sa) ;
    return stralloc_0(&ul->sa) ;
  }
  if (!r) return 0 ;
  errno = 0 ;
  r = mbox_uidlist_parse(ul, sa.s, sa.len) ;
  stralloc_free(&sa) ;
  return r ;
}

int mbox_uidlist_format (mbox_uidlist const *ul, stralloc *out)
{
  char fmt[UINT64_FMT] ;
  mbox_uidrec const *r = genalloc_s(mbox_uidrec const, &ul->recs) ;
  size_t n = genalloc_len(mbox_uidrec, &ul->recs) ;
  if (!stralloc_catb(out, "3 V", 3)
   || !stralloc_catb(out, fmt, uint32_fmt(fmt, ul->uidvalidity))
   || !stralloc_catb(out, " N", 2)
   || !stralloc_catb(out, fmt, uint32_fmt(fmt, ul->nextuid))) return 0 ;
  if (ul->guid[0] && (!stralloc_catb(out, " G", 2) || !stralloc_cats(out, ul->guid))) return 0 ;
  if (ul->sa.s[ul->hdrext] && (!stralloc_catb(out, " ", 1) || !stralloc_cats(out, ul->sa.s + ul->hdrext))) return 0 ;
  if (!stralloc_catb(out, "\n", 1)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (!stralloc_catb(out, fmt, uint32_fmt(fmt, r[i].uid))) return 0 ;
    if (ul->sa.s[r[i].ext] && (!stralloc_catb(out, " ", 1) || !stralloc_cats(out, ul->sa.s + r[i].ext))) return 0 ;
    if (r[i].vsize != UINT64_MAX && (!stralloc_catb(out, " W", 2) || !stralloc_catb(out, fmt, uint64_fmt(fmt, r[i].vsize)))) return 0 ;
    if (ul->sa.s[r[i].guid] && (!stralloc_catb(out, " G", 2) || !stralloc_cats(out, ul->sa.s + r[i].guid))) return 0 ;
    if (!stralloc_catb(out, " :", 2) || !stralloc_cats(out, ul->sa.s + r[i].base) || !stralloc_catb(out, "\n", 1)) return 0 ;
  }
  return 1 ;
}

uint32_t mbox_uidvalidity_next (int rootfd)
{
  stralloc sa = STRALLOC_ZERO ;
  uint32_t last = 0, v = (uint32_t)time(0) ;
  char fmt[UINT32_FMT + 1] ;
  size_t n ;
  if (mbox_slurp(rootfd, MBOX_UIDVALIDITY, &sa) > 0 && stralloc_0(&sa))
  {
    uint64_t x ;
    if (uint64_xscan(sa.s, &x) && x < UINT32_MAX) last = (uint32_t)x ;
  }
  stralloc_free(&sa) ;
  if (v <= last) v = last + 1 ;
  if (!v) v = 1 ;
  n = uint32_xfmt(fmt, v) ;
   /* best effort: a lost counter only makes the next value time-based;
      the temp name is not "dovecot-uidvalidity.<x>", which Dovecot reads */
  mbox_write_file(rootfd, MBOX_UIDVALIDITY, "posthaste-uidvalidity.tmp", fmt, n) ;
  return v ;
}

void mbox_uidlist_init (mbox_uidlist *ul, int rootfd)
{
  ul->version = 3 ;
  ul->uidvalidity = mbox_uidvalidity_next(rootfd) ;
  if (ul->nextuid < 1) ul->nextuid = 1 ;
  mbox_uidlist_new_guid(ul) ;
}

void mbox_uidlist_new_guid (mbox_uidlist *ul)
{
  static char const hex[] = "0123456789abcdef" ;
  unsigned char g[16] ;
  random_buf((char *)g, 16) ;
  for (unsigned int i = 0 ; i < 16 ; i++)
  {
    ul->guid[2*i] = hex[g[i] >> 4] ;
    ul->guid[2*i+1] = hex[g[i] & 15] ;
  }
  ul->guid[32] = 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/types.h>
#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* dovecot-keywords: one "<index> <name>" line per keyword, index 0..25
    standing for the letters a..z of the file names. Names are compared
    without ASCII case (RFC 9051 §2.3.2: flag keywords are
    case-insensitive). Changed only under the uidlist lock, as Dovecot's
    maildir-keywords.c does; written through dovecot-keywords.lock and a
    rename. */

int mbox_keyword_valid (char const *name)
{
  size_t len = strlen(name) ;
  if (!len || len > 255) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = name[i] ;
    if (c <= 0x20 || c >= 0x7f) return 0 ;
    if (strchr("(){%*\"\\]", c)) return 0 ;   /* atom-specials, RFC 9051 §9 */
  }
  return 1 ;
}

int mbox_keywords_read (int dirfd, stralloc *names, unsigned int *n)
{
  char const *slot[MBOX_KEYWORDS_MAX] ;
  size_t slotlen[MBOX_KEYWORDS_MAX] ;
  stralloc sa = STRALLOC_ZERO ;
  unsigned int max = 0 ;
  size_t i = 0 ;
  int r = mbox_slurp(dirfd, MBOX_KEYWORDS, &sa) ;
  names->len = 0 ;
  *n = 0 ;
  if (r < 0) return 1 ;
  if (!r) return 0 ;
  if (!stralloc_0(&sa)) { stralloc_free(&sa) ; return 0 ; }
  sa.len-- ;   /* room for the NUL that ends the last line */
  for (unsigned int k = 0 ; k < MBOX_KEYWORDS_MAX ; k++) { slot[k] = 0 ; slotlen[k] = 0 ; }
   /* a line that does not parse is skipped, as Dovecot does */
  while (i < sa.len)
  {
    char *nl = memchr(sa.s + i, '\n', sa.len - i) ;
    size_t end = nl ? (size_t)(nl - sa.s) : sa.len ;
    unsigned int idx ;
    size_t m = uint_scan(sa.s + i, &idx) ;
    if (m && idx < MBOX_KEYWORDS_MAX && i + m < end && sa.s[i + m] == ' ' && end > i + m + 1)
    {
      sa.s[end] = 0 ;
      if (mbox_keyword_valid(sa.s + i + m + 1))
      {
        slot[idx] = sa.s + i + m + 1 ;
        slotlen[idx] = end - (i + m + 1) ;
        if (idx + 1 > max) max = idx + 1 ;
      }
    }
    i = end + 1 ;
  }
  for (unsigned int k = 0 ; k < max ; k++)
    if ((slot[k] && !stralloc_catb(names, slot[k], slotlen[k])) || !stralloc_0(names))
    {
      stralloc_free(&sa) ;
      return 0 ;
    }
  *n = max ;
  stralloc_free(&sa) ;
  return 1 ;
}

int mbox_keywords_write (int dirfd, char const *names, unsigned int n)
{
  stralloc out = STRALLOC_ZERO ;
  char fmt[UINT_FMT] ;
  int ok ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    size_t len = strlen(names) ;
    if (len && (!stralloc_catb(&out, fmt, uint_fmt(fmt, k)) || !stralloc_catb(&out, " ", 1)
             || !stralloc_catb(&out, names, len) || !stralloc_catb(&out, "\n", 1)))
    {
      stralloc_free(&out) ;
      return 0 ;
    }
    names += len + 1 ;
  }
  ok = mbox_write_file(dirfd, MBOX_KEYWORDS, MBOX_KEYWORDS_LOCK, out.s ? out.s : "", out.len) ;
  stralloc_free(&out) ;
  return ok ;
}

int mbox_keywords_find (char const *names, unsigned int n, char const *name)
{
  size_t len = strlen(name) ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    size_t l = strlen(names) ;
    if (l == len && l && !case_diffb(names, l, name)) return (int)k ;
    names += l + 1 ;
  }
  return -1 ;
}

int mbox_keywords_get (int dirfd, stralloc *names, unsigned int *n, char const *name, int create)
{
  int k = mbox_keywords_find(names->s, *n, name) ;
  unsigned int slot ;
  size_t off = 0 ;
  if (k >= 0) return k ;
  if (!mbox_keyword_valid(name)) return (errno = EINVAL, -1) ;
  if (!create) return (errno = ENOENT, -1) ;
   /* the caller holds the lock: the file on disk is the truth */
  if (!mbox_keywords_read(dirfd, names, n)) return -1 ;
  k = mbox_keywords_find(names->s, *n, name) ;
  if (k >= 0) return k ;
  for (slot = 0 ; slot < *n ; slot++)
  {
    if (!names->s[off]) break ;
    off += strlen(names->s + off) + 1 ;
  }
  if (slot >= MBOX_KEYWORDS_MAX) return (errno = ENOSPC, -1) ;
  if (slot == *n)
  {
    if (!stralloc_cats(names, name) || !stralloc_0(names)) return -1 ;
    (*n)++ ;
  }
  else if (!stralloc_insertb(names, off, name, strlen(name))) return -1 ;
  if (!mbox_keywords_write(dirfd, names->s, *n)) return -1 ;
  return (int)slot ;
}

int mbox_keywords_map (int dstfd, stralloc *dstnames, unsigned int *dstn, char const *srcnames, unsigned int srcn, uint32_t in, uint32_t *out)
{
  uint32_t bits = 0 ;
  for (unsigned int k = 0 ; k < srcn ; k++)
  {
    size_t l = strlen(srcnames) ;
    if ((in & (1U << k)) && l)
    {
      int j = mbox_keywords_get(dstfd, dstnames, dstn, srcnames, 1) ;
      if (j < 0) { if (errno != ENOSPC) return 0 ; }
      else bits |= 1U << j ;
    }
    srcnames += l + 1 ;
  }
  *out = bits ;
  return 1 ;
}

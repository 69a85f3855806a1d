/* ISC license. */

#include <errno.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/time.h>

#include <skalibs/types.h>
#include <skalibs/uint64.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/maildir.h"
#include "common/mbox-internal.h"

 /* Maildir file names as Dovecot reads and writes them:
      <base>[:2,<letters>]   base = "<time>.<unique>.<host>[,S=<n>][,W=<n>]"
    The base never changes; the info part after ':' carries the flags,
    letters in ASCII order: D draft, F flagged, P passed, R replied,
    S seen, T trashed, a-z keywords (dovecot-keywords). Letters we do not
    know (P among them) are kept as they are. */

static uint32_t flag_of (char c)
{
  switch (c)
  {
    case 'D' : return MBOX_DRAFT ;
    case 'F' : return MBOX_FLAGGED ;
    case 'R' : return MBOX_ANSWERED ;
    case 'S' : return MBOX_SEEN ;
    case 'T' : return MBOX_DELETED ;
    default : return 0 ;
  }
}

void mbox_fname_parse (char const *name, mbox_fname *f)
{
  size_t len = strlen(name) ;
  char const *colon = memchr(name, ':', len) ;
  f->baselen = colon ? (size_t)(colon - name) : len ;
  f->flags = 0 ; f->keywords = 0 ;
  f->fsize = UINT64_MAX ; f->vsize = UINT64_MAX ;
  f->letters = "" ; f->letterslen = 0 ;
  for (size_t i = 0 ; i + 3 < f->baselen ; i++)
  {
    uint64_t v ;
    size_t n ;
    if (name[i] != ',' || name[i+2] != '=' || (name[i+1] != 'S' && name[i+1] != 'W')) continue ;
    n = uint64_scan(name + i + 3, &v) ;
    if (!n || (i + 3 + n < f->baselen && name[i + 3 + n] != ',')) continue ;
    if (name[i+1] == 'S') f->fsize = v ; else f->vsize = v ;
  }
  if (colon && len - f->baselen >= 3 && !memcmp(colon, ":2,", 3))
  {
    f->letters = colon + 3 ;
    f->letterslen = len - f->baselen - 3 ;
    for (size_t i = 0 ; i < f->letterslen ; i++)
    {
      char c = f->letters[i] ;
      if (c >= 'a' && c <= 'z') f->keywords |= 1U << (c - 'a') ;
      else f->flags |= flag_of(c) ;
    }
  }
}

size_t mbox_letters (char *s, uint32_t flags, uint32_t keywords, char const *old, size_t oldlen)
{
  unsigned char set[256] ;
  size_t n = 0 ;
  memset(set, 0, sizeof(set)) ;
  if (flags & MBOX_DRAFT) set['D'] = 1 ;
  if (flags & MBOX_FLAGGED) set['F'] = 1 ;
  if (flags & MBOX_ANSWERED) set['R'] = 1 ;
  if (flags & MBOX_SEEN) set['S'] = 1 ;
  if (flags & MBOX_DELETED) set['T'] = 1 ;
  for (unsigned int i = 0 ; i < MBOX_KEYWORDS_MAX ; i++)
    if (keywords & (1U << i)) set['a' + i] = 1 ;
  for (size_t i = 0 ; i < oldlen ; i++)
  {
    unsigned char c = old[i] ;
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':' || c == ',') continue ;
    if ((c >= 'a' && c <= 'z') || flag_of(c)) continue ;
    set[c] = 1 ;
  }
  for (unsigned int c = 0x21 ; c < 0x7f && n < 63 ; c++) if (set[c]) s[n++] = c ;
  s[n] = 0 ;
  return n ;
}

int mbox_fname_make (stralloc *sa, char const *base, size_t baselen, uint32_t flags, uint32_t keywords, char const *old, size_t oldlen)
{
  char letters[64] ;
  size_t n = mbox_letters(letters, flags, keywords, old, oldlen) ;
  return stralloc_catb(sa, base, baselen) && stralloc_catb(sa, ":2,", 3) && stralloc_catb(sa, letters, n + 1) ;
}

int mbox_find_base (int dirfd, char const *sub, char const *base, size_t baselen, stralloc *sa)
{
  DIR *dir ;
  unsigned int count = 0 ;
  int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd == -1) return errno == ENOENT ? 0 : -1 ;
  dir = fdopendir(fd) ;
  if (!dir) { fd_close(fd) ; return -1 ; }
  for (;;)
  {
    struct dirent *d ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (++count > MBOX_SCAN_MAX) { errno = EFBIG ; break ; }
    if (!strncmp(d->d_name, base, baselen) && (!d->d_name[baselen] || d->d_name[baselen] == ':'))
    {
      int ok = stralloc_cats(sa, sub) && stralloc_catb(sa, "/", 1) && stralloc_cats(sa, d->d_name) && stralloc_0(sa) ;
      closedir(dir) ;
      return ok ? 1 : -1 ;
    }
  }
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return e ? -1 : 0 ;
  }
}

static unsigned int unique_seq = 0 ;

int mbox_unique_base (stralloc *sa)
{
  static stralloc host = STRALLOC_ZERO ;
  char fmt[UINT64_FMT + UINT32_FMT + PID_FMT + UINT_FMT + 8] ;
  struct timeval tv ;
  size_t m = 0 ;
  if (!host.len)
  {
    stralloc raw = STRALLOC_ZERO ;
    int ok = sagethostname(&raw) >= 0 && stralloc_0(&raw) && maildir_host_escape(raw.s, &host) ;
    stralloc_free(&raw) ;
    if (!ok) { host.len = 0 ; return 0 ; }
    host.len-- ;   /* drop the NUL, kept in the buffer */
  }
  if (gettimeofday(&tv, 0) == -1) return 0 ;
  m += uint64_fmt(fmt + m, (uint64_t)tv.tv_sec) ;
  fmt[m++] = '.' ; fmt[m++] = 'M' ;
  m += uint32_fmt(fmt + m, (uint32_t)tv.tv_usec) ;
  fmt[m++] = 'P' ;
  m += pid_fmt(fmt + m, getpid()) ;
  fmt[m++] = 'Q' ;
  m += uint_fmt(fmt + m, unique_seq++) ;
  fmt[m++] = '.' ;
  return stralloc_catb(sa, fmt, m) && stralloc_catb(sa, host.s, host.len) && stralloc_0(sa) ;
}

int mbox_count_crlf (int fd, uint64_t *vsize)
{
  char buf[65536] ;
  uint64_t total = 0, off = 0 ;
  char prev = 0 ;   /* a CR ending one buffer pairs with an LF starting the next */
  for (;;)
  {
    ssize_t r = pread(fd, buf, sizeof(buf), (off_t)off) ;
    if (r == -1)
    {
      if (errno == EINTR) continue ;
      return 0 ;
    }
    if (!r) break ;
    off += r ;
    total += r ;
    for (ssize_t i = 0 ; i < r ; i++)
    {
      if (buf[i] == '\n' && prev != '\r') total++ ;
      prev = buf[i] ;
    }
  }
  *vsize = total ;
  return 1 ;
}

/* ISC license. */

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>  /* rename */
#include <stdlib.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/cdbwrite.h"
#include "dms.h"

#define dienomem() strerr_diefu1sys(111, "allocate memory")

mcdms mc_dms = { .loaded = 0, .regexps = STRALLOC_ZERO, .masters = STRALLOC_ZERO, .sendaccess = STRALLOC_ZERO, .rcptaccess = STRALLOC_ZERO, .localaliases = STRALLOC_ZERO } ;

void mc_dms_die_line (char const *path, unsigned int lineno, char const *why, char const *detail)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, lineno)] = 0 ;
  strerr_dief6x(100, path, ":", fmt, ": ", why, detail) ;
}

void mc_dms_warn_line (char const *path, unsigned int lineno, char const *why, char const *detail)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, lineno)] = 0 ;
  strerr_warnw6x(path, ":", fmt, ": ", why, detail) ;
}

static int is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

static void flush (char const *path, unsigned int lineno, stralloc *logical, mc_dms_line_func *f, stralloc *out)
{
  size_t a = 0, b = logical->len ;
  while (a < b && is_space(logical->s[a])) a++ ;
  while (b > a && is_space(logical->s[b - 1])) b-- ;
  if (a < b) (*f)(path, lineno, logical->s + a, b - a, out) ;
  logical->len = 0 ;
}

void mc_dms_each_line (char const *confdir, char const *name, int join, mc_dms_line_func *f, stralloc *out)
{
  stralloc path = STRALLOC_ZERO ;
  stralloc text = STRALLOC_ZERO ;
  stralloc logical = STRALLOC_ZERO ;
  size_t pos = 0 ;
  unsigned int lineno = 0, first = 0 ;
  if (!stralloc_cats(&path, confdir) || !stralloc_catb(&path, "/", 1)
   || !stralloc_cats(&path, name) || !stralloc_0(&path)) dienomem() ;
  if (!openslurpclose(&text, path.s) && errno != ENOENT) strerr_diefu2sys(111, "read ", path.s) ;
  while (pos < text.len)
  {
    char const *nl = memchr(text.s + pos, '\n', text.len - pos) ;
    size_t end = nl ? (size_t)(nl - text.s) : text.len ;
    char const *s = text.s + pos ;
    size_t len = end - pos, i = 0 ;
    pos = end + 1 ;
    lineno++ ;
    if (memchr(s, 0, len)) mc_dms_die_line(path.s, lineno, "NUL byte in line", "") ;
    while (i < len && is_space(s[i])) i++ ;
    if (i == len || s[i] == '#') continue ;
    /* Postfix: "A logical line starts with non-whitespace text. A line
     * that starts with whitespace continues a logical line." */
    if (join && i && logical.len)
    {
      if (!stralloc_catb(&logical, " ", 1) || !stralloc_catb(&logical, s + i, len - i)) dienomem() ;
      continue ;
    }
    flush(path.s, first, &logical, f, out) ;
    first = lineno ;
    if (!stralloc_catb(&logical, s, len)) dienomem() ;
  }
  flush(path.s, first, &logical, f, out) ;
  stralloc_free(&logical) ;
  stralloc_free(&text) ;
  stralloc_free(&path) ;
}

void mc_dms_load (char const *confdir)
{
  mc_dms.regexps.len = mc_dms.masters.len = mc_dms.sendaccess.len = mc_dms.rcptaccess.len = mc_dms.localaliases.len = 0 ;
  mc_dms_each_line(confdir, "postfix-regexp.cf", 1, &mc_dms_regexp_line, &mc_dms.regexps) ;
  mc_dms_each_line(confdir, "dovecot-masters.cf", 0, &mc_dms_master_line, &mc_dms.masters) ;
  mc_dms_each_line(confdir, "postfix-send-access.cf", 1, &mc_dms_access_line, &mc_dms.sendaccess) ;
  mc_dms_each_line(confdir, "postfix-receive-access.cf", 1, &mc_dms_access_line, &mc_dms.rcptaccess) ;
  mc_dms_each_line(confdir, "postfix-aliases.cf", 1, &mc_dms_alias_line, &mc_dms.localaliases) ;
  mc_dms.loaded = 1 ;
}

static void path_in (stralloc *sa, char const *dir, char const *name)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, dir) || !stralloc_catb(sa, "/", 1)
   || !stralloc_cats(sa, name) || !stralloc_0(sa)) dienomem() ;
}

/* regexp.map is text, not a cdb: written like cdbwrite writes (temporary
 * name, fsync, mode, rename, directory fsync). */
static void write_text (char const *dir, char const *name, stralloc const *text)
{
  stralloc path = STRALLOC_ZERO, tmp = STRALLOC_ZERO ;
  int fd ;
  path_in(&path, dir, name) ;
  if (!stralloc_copyb(&tmp, path.s, path.len - 1) || !stralloc_cats(&tmp, ".tmp.XXXXXX") || !stralloc_0(&tmp)) dienomem() ;
  fd = mkostemp(tmp.s, O_CLOEXEC) ;
  if (fd < 0) strerr_diefu2sys(111, "create a temporary file for ", path.s) ;
  if (allwrite(fd, text->s, text->len) < text->len || fchmod(fd, 0644) < 0 || fd_sync(fd) < 0 || close(fd) < 0)
  {
    int e = errno ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefu2sys(111, "write ", tmp.s) ;
  }
  if (rename(tmp.s, path.s) < 0)
  {
    int e = errno ;
    unlink(tmp.s) ;
    errno = e ;
    strerr_diefu4sys(111, "rename ", tmp.s, " to ", path.s) ;
  }
  if (!cdbwrite_dirsync(path.s)) strerr_diefu2sys(111, "sync the directory of ", path.s) ;
  stralloc_free(&tmp) ;
  stralloc_free(&path) ;
}

/* records: pairs of NUL-terminated strings, key then value. */
static void write_cdb (char const *dir, char const *name, stralloc const *records, int withnul, unsigned int mode, gid_t gid)
{
  stralloc path = STRALLOC_ZERO ;
  cdbwrite w = CDBWRITE_ZERO ;
  size_t pos = 0 ;
  path_in(&path, dir, name) ;
  if (!cdbwrite_start(&w, path.s)) strerr_diefu2sys(111, "create a temporary file for ", path.s) ;
  while (pos < records->len)
  {
    char const *k = records->s + pos ;
    size_t klen = strlen(k) ;
    char const *v = k + klen + 1 ;
    size_t vlen = strlen(v) ;
    pos += klen + vlen + 2 ;
    /* withnul: masters.cdb values end with NUL, like passwd.cdb's hash */
    if (!cdbwrite_add(&w, k, klen, v, vlen + !!withnul))
    {
      cdbwrite_abort(&w) ;
      strerr_diefu2sys(111, "write ", path.s) ;
    }
  }
  if (!cdbwrite_finish(&w, mode, (uid_t)-1, gid)) strerr_diefu2sys(111, "write ", path.s) ;
  stralloc_free(&path) ;
}

void mc_dms_write (char const *cdbdir)
{
  unsigned int mode = 0640 ;
  gid_t gid = (gid_t)-1 ;
  if (!mc_dms.loaded) return ;
  {
    struct group *gr = getgrnam("phauth") ;
    /* authd reads the master hashes, as passwd.cdb's */
    if (gr) gid = gr->gr_gid ;
    else mode = 0600 ;
  }
  write_text(cdbdir, "regexp.map", &mc_dms.regexps) ;
  write_cdb(cdbdir, "masters.cdb", &mc_dms.masters, 1, mode, gid) ;
  write_cdb(cdbdir, "sendaccess.cdb", &mc_dms.sendaccess, 0, 0644, (gid_t)-1) ;
  write_cdb(cdbdir, "rcptaccess.cdb", &mc_dms.rcptaccess, 0, 0644, (gid_t)-1) ;
}

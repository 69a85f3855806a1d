/* ISC license. */

/* OpenDKIM's tables as docker-mailserver writes them
 * ($PH_CONFIG_DIR/opendkim/):
 *   SigningTable  "<pattern> <keyname>", pattern as OpenDKIM's refile
 *                 (`*` matches any run of characters: `*@example.com`),
 *                 or a plain address or domain;
 *   KeyTable      "<keyname> <domain>:<selector>:<path of the key>".
 * Every matching SigningTable line gives a key (OpenDKIM's
 * MultipleSignatures). '#' starts a comment. */

#include <string.h>
#include <errno.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "dkimsign.h"

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\r')

static char lower (char c)
{
  return c >= 'A' && c <= 'Z' ? c + 32 : c ;
}

/* glob with '*', ignoring case; bounded: pattern and subject are at
 * most a line, and the backtracking is the classic single-star one. */
static int glob (char const *p, size_t pl, char const *s, size_t sl)
{
  size_t pi = 0, si = 0, star = (size_t)-1, mark = 0 ;
  while (si < sl)
  {
    if (pi < pl && p[pi] == '*') { star = pi++ ; mark = si ; continue ; }
    if (pi < pl && lower(p[pi]) == lower(s[si])) { pi++ ; si++ ; continue ; }
    if (star == (size_t)-1) return 0 ;
    pi = star + 1 ;
    si = ++mark ;
  }
  while (pi < pl && p[pi] == '*') pi++ ;
  return pi == pl ;
}

static int slurp_table (stralloc *sa, char const *confdir, char const *name)
{
  char path[DS_PATH_MAX + 1] ;
  size_t cl = strlen(confdir) ;
  if (cl + 10 + strlen(name) > DS_PATH_MAX) return (errno = ENAMETOOLONG, 0) ;
  memcpy(path, confdir, cl) ;
  memcpy(path + cl, "/opendkim/", 10) ;
  strcpy(path + cl + 10, name) ;
  sa->len = 0 ;
  if (!openslurpclose(sa, path)) return errno == ENOENT ? (sa->len = 0, 1) : 0 ;
  if (sa->len > DS_TABLE_MAX) return (errno = EFBIG, 0) ;
  return 1 ;
}

/* Splits line [s, s+len) into two words; returns 1 if there are two. */
static int words (char const *s, size_t len, size_t *a, size_t *al, size_t *b, size_t *bl)
{
  size_t i = 0 ;
  while (i < len && IS_SPACE(s[i])) i++ ;
  if (i == len || s[i] == '#') return 0 ;
  *a = i ;
  while (i < len && !IS_SPACE(s[i])) i++ ;
  *al = i - *a ;
  while (i < len && IS_SPACE(s[i])) i++ ;
  if (i == len) return 0 ;
  *b = i ;
  while (len > i && IS_SPACE(s[len-1])) len-- ;
  *bl = len - i ;
  return 1 ;
}

static void add_keyname (dskeys *k, char const *confdir, stralloc const *kt, char const *name, size_t nl)
{
  size_t i = 0 ;
  while (i < kt->len)
  {
    size_t e = i + byte_chr(kt->s + i, kt->len - i, '\n') ;
    size_t a, al, b, bl ;
    if (words(kt->s + i, e - i, &a, &al, &b, &bl) && al == nl && !memcmp(kt->s + i + a, name, nl))
    {
      /* domain:selector:path (the path may hold colons) */
      char const *v = kt->s + i + b ;
      size_t c1 = byte_chr(v, bl, ':') ;
      size_t c2 = c1 < bl ? c1 + 1 + byte_chr(v + c1 + 1, bl - c1 - 1, ':') : bl ;
      char path[DS_PATH_MAX + 1] ;
      if (c2 < bl && ds_path_map(path, confdir, v + c2 + 1, bl - c2 - 1, "opendkim"))
        ds_keys_add(k, v, c1, v + c1 + 1, c2 - c1 - 1, path, strlen(path)) ;
      return ;
    }
    i = e + 1 ;
  }
}

int ds_keys_opendkim (dskeys *k, char const *confdir, char const *addr)
{
  stralloc st = STRALLOC_ZERO, kt = STRALLOC_ZERO ;
  size_t i = 0, al = strlen(addr), at = byte_rchr(addr, al, '@') ;
  int ok = slurp_table(&st, confdir, "SigningTable") && slurp_table(&kt, confdir, "KeyTable") ;
  while (ok && i < st.len)
  {
    size_t e = i + byte_chr(st.s + i, st.len - i, '\n') ;
    size_t a, pl, b, bl ;
    if (words(st.s + i, e - i, &a, &pl, &b, &bl))
    {
      char const *p = st.s + i + a ;
      int match = byte_chr(p, pl, '*') < pl ? glob(p, pl, addr, al)
        : (pl == al && !strncasecmp(p, addr, al))
          || (at < al && pl == al - at - 1 && !strncasecmp(p, addr + at + 1, pl)) ;
      if (match) add_keyname(k, confdir, &kt, st.s + i + b, bl) ;
    }
    i = e + 1 ;
  }
  stralloc_free(&st) ;
  stralloc_free(&kt) ;
  return ok ;
}

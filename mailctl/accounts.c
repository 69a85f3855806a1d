/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/addr.h"
#include "common/pwhash.h"
#include "mailctl.h"

/* postfix-accounts.cf, as docker-mailserver writes it:
 *   user@domain|{SCHEME}hash
 *   user@domain|{SCHEME}hash|extra fields (kept raw, passed on in passwd.cdb)
 * Blank lines and lines starting with '#' are kept as they are. */

static void die_line (mcfile const *f, unsigned int lineno, char const *what, char const *detail)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, lineno)] = 0 ;
  strerr_dief6x(100, f->path, ":", fmt, ": ", what, detail) ;
}

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

void mc_accounts_parse (mcfile *f)
{
  size_t n = mc_nlines(f) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char key[ADDR_PATH_MAX + 3] ;
    char const *why ;
    size_t keylen, keyoff ;
    mcline *l = mc_line(f, i) ;
    char const *s = mc_str(f, l->raw) ;
    size_t len = l->rawlen ;
    size_t start = 0, bar, bar2, alen ;
    l->data = 0 ;
    if (l->deleted) continue ;
    while (len && isblank_(s[len - 1])) len-- ;
    while (start < len && isblank_(s[start])) start++ ;
    if (start == len || s[start] == '#') continue ;
    {
      char const *p = memchr(s + start, '|', len - start) ;
      if (!p) die_line(f, l->lineno, "expected user@domain|{SCHEME}hash", "") ;
      bar = p - s ;
    }
    alen = bar ;
    while (alen > start && isblank_(s[alen - 1])) alen-- ;
    keylen = mc_addrkey(s + start, alen - start, MC_ACCOUNT, key, &why) ;
    if (!keylen) die_line(f, l->lineno, why, "") ;
    {
      char const *p = memchr(s + bar + 1, '|', len - bar - 1) ;
      bar2 = p ? (size_t)(p - s) : len ;
      l->hasextra = !!p ;
    }
    if (bar2 == bar + 1) die_line(f, l->lineno, "empty password hash for ", key) ;
    {
      long prev = mc_file_find(f, key, keylen, 0) ;
      if (prev >= 0 && (size_t)prev < i)
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, mc_line(f, prev)->lineno)] = 0 ;
        {
          char fmt2[UINT_FMT] ;
          fmt2[uint_fmt(fmt2, l->lineno)] = 0 ;
          strerr_dief8x(100, f->path, ":", fmt2, ": duplicate account ", key, " (first on line ", fmt, ")") ;
        }
      }
    }
    keyoff = f->storage.len ;
    if (!stralloc_catb(&f->storage, key, keylen + 1)) strerr_diefu1sys(111, "allocate memory") ;
    l = mc_line(f, i) ;
    l->key = keyoff ;
    l->keylen = keylen ;
    l->val = l->raw + bar + 1 ;
    l->vallen = bar2 - bar - 1 ;
    l->extra = l->hasextra ? l->raw + bar2 + 1 : 0 ;
    l->extralen = l->hasextra ? len - bar2 - 1 : 0 ;
    l->data = 1 ;
    {
      size_t pos ;
      /* An unknown scheme is the admin's business, not a reason to stop
       * compiling everyone else: the account still receives mail, and
       * authd refuses its logins with a log line. */
      if (pwhash_scheme(mc_str(f, l->val), l->vallen, &pos) < 0)
      {
        char fmt[UINT_FMT] ;
        fmt[uint_fmt(fmt, l->lineno)] = 0 ;
        strerr_warnw6x(f->path, ":", fmt, ": unknown password scheme for ", key, ": its logins will fail") ;
      }
    }
  }
}

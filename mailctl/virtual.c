/* ISC license. */

#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/addr.h"
#include "mailctl.h"

/* postfix-virtual.cf, docker-mailserver's alias file (Postfix virtual(5)
 * lookup-table syntax, literal keys only):
 *   alias@domain target1,target2
 *   alias@domain target1 target2
 *   @domain      target            (catch-all)
 * Targets are separated by commas and/or white space. Blank lines and
 * lines starting with '#' are kept as they are. A target listed twice
 * on a line counts once. */

static void die_line (mcfile const *f, unsigned int lineno, char const *what, char const *detail)
{
  char fmt[UINT_FMT] ;
  fmt[uint_fmt(fmt, lineno)] = 0 ;
  strerr_dief6x(100, f->path, ":", fmt, ": ", what, detail) ;
}

static int issep (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == ',' ;
}

int mc_targets_has (char const *list, size_t len, char const *t, size_t tlen)
{
  size_t i = 0 ;
  while (i < len)
  {
    size_t n = strlen(list + i) ;
    if (n == tlen && !memcmp(list + i, t, tlen)) return 1 ;
    i += n + 1 ;
  }
  return 0 ;
}

void mc_virtual_parse (mcfile *f)
{
  size_t n = mc_nlines(f) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char key[ADDR_PATH_MAX + 3] ;
    char const *why ;
    size_t keylen, keyoff, valoff ;
    mcline *l = mc_line(f, i) ;
    size_t raw = l->raw, len = l->rawlen, pos = 0, tok ;
    unsigned int lineno = l->lineno ;
    l->data = 0 ;
    if (l->deleted) continue ;
    while (pos < len && issep(mc_str(f, raw)[pos]) && mc_str(f, raw)[pos] != ',') pos++ ;
    if (pos == len || mc_str(f, raw)[pos] == '#') continue ;
    tok = pos ;
    while (pos < len && !issep(mc_str(f, raw)[pos])) pos++ ;
    keylen = mc_addrkey(mc_str(f, raw) + tok, pos - tok, MC_ALIAS, key, &why) ;
    if (!keylen) die_line(f, lineno, why, "") ;
    keyoff = f->storage.len ;
    if (!stralloc_catb(&f->storage, key, keylen + 1)) strerr_diefu1sys(111, "allocate memory") ;
    valoff = f->storage.len ;
    for (;;)
    {
      char t[ADDR_PATH_MAX + 3] ;
      size_t tlen ;
      while (pos < len && issep(mc_str(f, raw)[pos])) pos++ ;
      if (pos == len) break ;
      tok = pos ;
      while (pos < len && !issep(mc_str(f, raw)[pos])) pos++ ;
      tlen = mc_addrkey(mc_str(f, raw) + tok, pos - tok, MC_TARGET, t, &why) ;
      if (!tlen) die_line(f, lineno, why, "") ;
      if (mc_targets_has(f->storage.s + valoff, f->storage.len - valoff, t, tlen)) continue ;
      if (!stralloc_catb(&f->storage, t, tlen + 1)) strerr_diefu1sys(111, "allocate memory") ;
    }
    if (f->storage.len == valoff) die_line(f, lineno, "no target for alias ", key) ;
    l = mc_line(f, i) ;
    l->key = keyoff ;
    l->keylen = keylen ;
    l->val = valoff ;
    l->vallen = f->storage.len - valoff ;
    l->data = 1 ;
  }
}

/* ISC license. */

#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "mailctl.h"
#include "setup.h"

/* The lines the readers of these tables see as data: deliverd-remote's
 * remote_map_find and mailctl's dms_access both skip leading blanks, a
 * '#' line and a blank line, and take the key up to the first blank. */

static int blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

long mc_map_find (mcfile const *f, char const *key, size_t from)
{
  size_t klen = strlen(key) ;
  for (size_t i = from ; i < mc_nlines(f) ; i++)
  {
    mcline const *l = mc_line(f, i) ;
    char const *s = mc_str(f, l->raw) ;
    size_t a = 0, b ;
    if (l->deleted) continue ;
    while (a < l->rawlen && blank(s[a])) a++ ;
    if (a == l->rawlen || s[a] == '#') continue ;
    b = a ;
    while (b < l->rawlen && !blank(s[b])) b++ ;
    if (b - a == klen && !case_diffb(s + a, klen, key)) return (long)i ;
  }
  return -1 ;
}

void mc_map_open (mcctx const *ctx, char const *name, stralloc *pathsa, mcfile *f)
{
  if (!stralloc_cats(pathsa, ctx->confdir) || !stralloc_catb(pathsa, "/", 1)
   || !stralloc_cats(pathsa, name) || !stralloc_0(pathsa))
    strerr_diefu1sys(111, "allocate memory") ;
  mc_file_read(f, pathsa->s) ;
}

size_t mc_domains (mcctx *ctx, stralloc *names)
{
  mcfile const *files[2] ;
  size_t n = 0 ;
  mc_load(ctx) ;
  files[0] = &ctx->accounts ;
  files[1] = &ctx->virtual ;
  for (unsigned int k = 0 ; k < 2 ; k++)
    for (size_t i = 0 ; i < mc_nlines(files[k]) ; i++)
    {
      mcline const *l = mc_line(files[k], i) ;
      char const *key, *at ;
      int dup = 0 ;
      if (!l->data || l->deleted) continue ;
      key = mc_str(files[k], l->key) ;
      at = strrchr(key, '@') ;
      if (!at || !at[1]) continue ;
      for (size_t pos = 0 ; pos < names->len && !dup ; pos += strlen(names->s + pos) + 1)
        dup = !strcmp(names->s + pos, at + 1) ;
      if (dup) continue ;
      if (!stralloc_cats(names, at + 1) || !stralloc_0(names)) strerr_diefu1sys(111, "allocate memory") ;
      n++ ;
    }
  return n ;
}

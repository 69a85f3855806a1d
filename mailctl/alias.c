/* ISC license. */

#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>

#include "common/addr.h"
#include "mailctl.h"
#include "mailctl-internal.h"

/* docker-mailserver's `setup alias add|del|list`. As its script does,
 * adding a target to an existing alias appends ",target" to the alias's
 * line; removing the last target of a line removes the line. */

#define dieusage() strerr_dieusage(100, MC_USAGE_ALIAS)
#define dienomem() strerr_diefu1sys(111, "allocate memory")

static size_t key_of (char const *s, int kind, char *key)
{
  char const *why ;
  size_t n = mc_addrkey(s, strlen(s), kind, key, &why) ;
  if (!n) strerr_dief4x(100, "invalid address ", s, ": ", why) ;
  return n ;
}

static void commit (mcctx *ctx)
{
  mc_virtual_parse(&ctx->virtual) ;
  mc_file_write(&ctx->virtual, 0644) ;
  mc_compile(&ctx->accounts, &ctx->virtual, &ctx->quotas, ctx->cdbdir) ;
}

static void alias_add (mcctx *ctx, char const *alias, char const *target)
{
  char a[ADDR_PATH_MAX + 3], t[ADDR_PATH_MAX + 3] ;
  size_t alen = key_of(alias, MC_ALIAS, a) ;
  size_t tlen = key_of(target, MC_TARGET, t) ;
  stralloc line = STRALLOC_ZERO ;
  mcfile *f = &ctx->virtual ;
  long first ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  first = mc_file_find(f, a, alen, 0) ;
  for (long i = first ; i >= 0 ; i = mc_file_find(f, a, alen, i + 1))
    if (mc_targets_has(mc_str(f, mc_line(f, i)->val), mc_line(f, i)->vallen, t, tlen))
      strerr_dief4x(1, "alias ", a, " already has target ", t) ;
  if (first >= 0)
  {
    mcline const *l = mc_line(f, first) ;
    size_t rawlen = l->rawlen ;
    while (rawlen && (mc_str(f, l->raw)[rawlen - 1] == ' ' || mc_str(f, l->raw)[rawlen - 1] == '\t' || mc_str(f, l->raw)[rawlen - 1] == '\r')) rawlen-- ;
    if (!stralloc_catb(&line, mc_str(f, l->raw), rawlen)
     || !stralloc_catb(&line, ",", 1)
     || !stralloc_catb(&line, t, tlen)) dienomem() ;
    mc_file_setraw(f, first, line.s, line.len) ;
  }
  else
  {
    if (!stralloc_catb(&line, a, alen) || !stralloc_catb(&line, " ", 1)
     || !stralloc_catb(&line, t, tlen)) dienomem() ;
    mc_file_addline(f, line.s, line.len) ;
  }
  commit(ctx) ;
  stralloc_free(&line) ;
}

static void alias_del (mcctx *ctx, char const *alias, char const *target)
{
  char a[ADDR_PATH_MAX + 3], t[ADDR_PATH_MAX + 3] ;
  size_t alen = key_of(alias, MC_ALIAS, a) ;
  size_t tlen = key_of(target, MC_TARGET, t) ;
  stralloc line = STRALLOC_ZERO ;
  mcfile *f = &ctx->virtual ;
  int found = 0 ;
  mc_lock(ctx) ;
  mc_load(ctx) ;
  for (long i = mc_file_find(f, a, alen, 0) ; i >= 0 ; i = mc_file_find(f, a, alen, i + 1))
  {
    mcline *l = mc_line(f, i) ;
    size_t p = 0, val = l->val, vallen = l->vallen ;
    int kept = 0 ;
    if (!mc_targets_has(mc_str(f, val), vallen, t, tlen)) continue ;
    found = 1 ;
    line.len = 0 ;
    if (!stralloc_catb(&line, a, alen)) dienomem() ;
    while (p < vallen)
    {
      char const *x = mc_str(f, val) + p ;
      size_t xlen = strlen(x) ;
      if (xlen != tlen || memcmp(x, t, tlen))
      {
        if (!stralloc_catb(&line, kept ? "," : " ", 1) || !stralloc_catb(&line, x, xlen)) dienomem() ;
        kept++ ;
      }
      p += xlen + 1 ;
    }
    if (kept) mc_file_setraw(f, i, line.s, line.len) ;
    else mc_line(f, i)->deleted = 1 ;
  }
  if (!found) strerr_dief4x(1, "alias ", a, " has no target ", t) ;
  commit(ctx) ;
  stralloc_free(&line) ;
}

static void alias_list (mcctx *ctx)
{
  mcfile *f = &ctx->virtual ;
  stralloc targets = STRALLOC_ZERO ;  /* text0 */
  size_t n ;
  mc_load(ctx) ;
  n = mc_nlines(f) ;
  /* One line per alias, "alias target1,target2", its targets merged
   * across lines as in aliases.cdb. */
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = mc_line(f, i) ;
    char const *k = mc_str(f, l->key) ;
    if (!l->data || mc_file_find(f, k, l->keylen, 0) != (long)i) continue ;
    targets.len = 0 ;
    for (long j = (long)i ; j >= 0 ; j = mc_file_find(f, k, l->keylen, j + 1))
    {
      mcline const *m = mc_line(f, j) ;
      for (size_t p = 0 ; p < m->vallen ; )
      {
        char const *x = mc_str(f, m->val) + p ;
        size_t xlen = strlen(x) ;
        if (!mc_targets_has(targets.s, targets.len, x, xlen)
         && !stralloc_catb(&targets, x, xlen + 1)) dienomem() ;
        p += xlen + 1 ;
      }
    }
    if (buffer_put(buffer_1, k, l->keylen) < 0) strerr_diefu1sys(111, "write to stdout") ;
    for (size_t p = 0 ; p < targets.len ; )
    {
      size_t xlen = strlen(targets.s + p) ;
      if (buffer_put(buffer_1, p ? "," : " ", 1) < 0
       || buffer_put(buffer_1, targets.s + p, xlen) < 0) strerr_diefu1sys(111, "write to stdout") ;
      p += xlen + 1 ;
    }
    if (buffer_put(buffer_1, "\n", 1) < 0) strerr_diefu1sys(111, "write to stdout") ;
  }
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
  stralloc_free(&targets) ;
}

void mc_alias (mcctx *ctx, int argc, char const *const *argv)
{
  if (argc < 1) dieusage() ;
  if (!strcmp(argv[0], "add") && argc == 3) alias_add(ctx, argv[1], argv[2]) ;
  else if (!strcmp(argv[0], "del") && argc == 3) alias_del(ctx, argv[1], argv[2]) ;
  else if (!strcmp(argv[0], "list") && argc == 1) alias_list(ctx) ;
  else dieusage() ;
}

/* ISC license. */

/* rspamd's layout as docker-mailserver writes it (`setup config dkim`
 * with rspamd):
 *   $PH_CONFIG_DIR/rspamd/dkim/<type>-<bits>-<selector>-<domain>.private.txt
 *     (rsa), <type>-<selector>-<domain>.private.txt (ed25519), and the
 *     same names without ".txt";
 *   $PH_CONFIG_DIR/rspamd/override.d/dkim_signing.conf, whose
 *     `domain { <domain> { path = "..."; selector = "..."; } }` blocks
 *     (or `selectors [ { path; selector } ... ]` inside them) name the
 *     keys; its paths say /tmp/docker-mailserver/..., mapped onto the
 *     config folder.
 * The configuration file is read with a small tokenizer that knows
 * just these shapes of UCL; anything else in it is skipped. */

#include <string.h>
#include <errno.h>
#include <dirent.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "dkimsign.h"

static void scan_dir (dskeys *k, char const *confdir, char const *domain)
{
  char dir[DS_PATH_MAX + 1] ;
  size_t cl = strlen(confdir), dl = strlen(domain) ;
  DIR *d ;
  struct dirent *e ;
  unsigned int count = 0 ;
  if (cl + 12 > DS_PATH_MAX) return ;
  memcpy(dir, confdir, cl) ;
  memcpy(dir + cl, "/rspamd/dkim", 13) ;
  d = opendir(dir) ;
  if (!d) return ;
  while ((e = readdir(d)) && count++ < 10000)
  {
    char const *name = e->d_name ;
    size_t nl = strlen(name), tail, sl ;
    char const *sel ;
    char path[DS_PATH_MAX + 1] ;
    if (nl > 12 && !memcmp(name + nl - 12, ".private.txt", 12)) tail = 12 ;
    else if (nl > 8 && !memcmp(name + nl - 8, ".private", 8)) tail = 8 ;
    else continue ;
    if (nl < tail + dl + 1 || name[nl - tail - dl - 1] != '-' || strncasecmp(name + nl - tail - dl, domain, dl)) continue ;
    if (!strncmp(name, "rsa-", 4))
    {
      sel = name + 4 ;
      while (*sel >= '0' && *sel <= '9') sel++ ;
      if (sel == name + 4 || *sel != '-') continue ;
      sel++ ;
    }
    else if (!strncmp(name, "ed25519-", 8)) sel = name + 8 ;
    else continue ;
    if (name + nl - tail - dl - 1 <= sel) continue ;
    sl = (size_t)(name + nl - tail - dl - 1 - sel) ;
    if (cl + 13 + nl + 1 > DS_PATH_MAX) continue ;
    memcpy(path, dir, cl + 12) ;
    path[cl + 12] = '/' ;
    memcpy(path + cl + 13, name, nl + 1) ;
    ds_keys_add(k, domain, dl, sel, sl, path, strlen(path)) ;
  }
  closedir(d) ;
}

/* --- dkim_signing.conf --- */

typedef struct tok_s tok ;
struct tok_s
{
  char const *s ;
  size_t len ;
  size_t pos ;
  char const *t ;   /* the token */
  size_t tl ;
} ;

/* The next token: a punctuation byte, a quoted string (quotes
 * dropped), or a word. 0 at the end. Comments (#) are skipped. */
static int next (tok *x)
{
  for (;;)
  {
    while (x->pos < x->len && (x->s[x->pos] == ' ' || x->s[x->pos] == '\t' || x->s[x->pos] == '\n' || x->s[x->pos] == '\r')) x->pos++ ;
    if (x->pos >= x->len) return 0 ;
    if (x->s[x->pos] != '#') break ;
    while (x->pos < x->len && x->s[x->pos] != '\n') x->pos++ ;
  }
  {
    char c = x->s[x->pos] ;
    if (c == '"' || c == '\'')
    {
      size_t start = ++x->pos ;
      while (x->pos < x->len && x->s[x->pos] != c) x->pos++ ;
      x->t = x->s + start ;
      x->tl = x->pos - start ;
      if (x->pos < x->len) x->pos++ ;
      return 1 ;
    }
    if (strchr("{}[]=:;,", c))
    {
      x->t = x->s + x->pos++ ;
      x->tl = 1 ;
      return 1 ;
    }
    x->t = x->s + x->pos ;
    while (x->pos < x->len && !strchr(" \t\r\n{}[]=:;,\"'#", x->s[x->pos])) x->pos++ ;
    x->tl = (size_t)(x->s + x->pos - x->t) ;
    return 1 ;
  }
}

static int is (tok const *x, char const *w)
{
  size_t n = strlen(w) ;
  return x->tl == n && !strncasecmp(x->t, w, n) ;
}

/* Inside the domain's block: every object (the block itself or an
 * element of selectors [...]) with both a path and a selector is a key. */
static void domain_block (dskeys *k, tok *x, char const *confdir, char const *domain)
{
  char const *path[8] = { 0 }, *sel[8] = { 0 } ;
  size_t pl[8] = { 0 }, sl[8] = { 0 } ;
  unsigned int depth = 1 ;
  while (depth && next(x))
  {
    if (is(x, "{") || is(x, "["))
    {
      if (++depth >= 8) return ;
      path[depth] = sel[depth] = 0 ;
      continue ;
    }
    if (is(x, "}") || is(x, "]"))
    {
      if (path[depth] && sel[depth])
      {
        char p[DS_PATH_MAX + 1] ;
        if (ds_path_map(p, confdir, path[depth], pl[depth], "rspamd"))
          ds_keys_add(k, domain, strlen(domain), sel[depth], sl[depth], p, strlen(p)) ;
      }
      path[depth] = sel[depth] = 0 ;
      depth-- ;
      continue ;
    }
    if (is(x, "path") || is(x, "selector"))
    {
      int ispath = is(x, "path") ;
      if (!next(x)) return ;
      if ((is(x, "=") || is(x, ":")) && !next(x)) return ;
      if (ispath) { path[depth] = x->t ; pl[depth] = x->tl ; }
      else { sel[depth] = x->t ; sl[depth] = x->tl ; }
    }
  }
}

static void read_conf (dskeys *k, char const *confdir, char const *domain)
{
  stralloc sa = STRALLOC_ZERO ;
  char path[DS_PATH_MAX + 1] ;
  size_t cl = strlen(confdir) ;
  tok x = { .pos = 0 } ;
  static char const rel[] = "/rspamd/override.d/dkim_signing.conf" ;
  int indomain = 0 ;
  if (cl + sizeof(rel) > DS_PATH_MAX) return ;
  memcpy(path, confdir, cl) ;
  memcpy(path + cl, rel, sizeof(rel)) ;
  if (!openslurpclose(&sa, path)) return ;
  if (sa.len > DS_TABLE_MAX) { stralloc_free(&sa) ; return ; }
  x.s = sa.s ;
  x.len = sa.len ;
  /* domain { <name> { ... } <name> { ... } } */
  while (next(&x))
  {
    if (!indomain)
    {
      if (is(&x, "domain") && next(&x) && is(&x, "{")) indomain = 1 ;
      continue ;
    }
    if (is(&x, "}")) { indomain = 0 ; continue ; }
    {
      int mine = is(&x, domain) ;
      int skip = !mine ;
      if (!next(&x) || !is(&x, "{")) continue ;
      if (!skip) { domain_block(k, &x, confdir, domain) ; continue ; }
      {
        unsigned int depth = 1 ;
        while (depth && next(&x))
        {
          if (is(&x, "{") || is(&x, "[")) depth++ ;
          else if (is(&x, "}") || is(&x, "]")) depth-- ;
        }
      }
    }
  }
  stralloc_free(&sa) ;
}

int ds_keys_rspamd (dskeys *k, char const *confdir, char const *domain)
{
  read_conf(k, confdir, domain) ;
  scan_dir(k, confdir, domain) ;
  return 1 ;
}

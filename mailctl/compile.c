/* ISC license. */

#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/types.h>

#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include <skalibs/uint64.h>

#include "common/addr.h"
#include "common/cdbwrite.h"
#include "common/config.h"
#include "mailctl.h"
#include "dms.h"

/* The maps and their modes are docs/internals.md's table. Each map is
 * replaced atomically on its own; domains.cdb goes last so that a domain
 * never appears before the users and aliases that make it deliverable. */

#define dienomem() strerr_diefu1sys(111, "allocate memory")

typedef struct target_s target ;
struct target_s
{
  stralloc path ;
  cdbwrite w ;
} ;

static void open_map (target *t, char const *dir, char const *name)
{
  t->path.len = 0 ;
  if (!stralloc_cats(&t->path, dir) || !stralloc_catb(&t->path, "/", 1)
   || !stralloc_cats(&t->path, name) || !stralloc_0(&t->path)) dienomem() ;
  if (!cdbwrite_start(&t->w, t->path.s)) strerr_diefu2sys(111, "create a temporary file for ", t->path.s) ;
}

static void add (target *t, char const *k, size_t klen, char const *d, size_t dlen)
{
  if (!cdbwrite_add(&t->w, k, klen, d, dlen))
  {
    cdbwrite_abort(&t->w) ;
    strerr_diefu2sys(111, "write ", t->path.s) ;
  }
}

static void finish (target *t, unsigned int mode, gid_t gid)
{
  if (!cdbwrite_finish(&t->w, mode, (uid_t)-1, gid))
    strerr_diefu2sys(111, "write ", t->path.s) ;
  stralloc_free(&t->path) ;
}

static void compile_passwd (mcfile const *acc, char const *dir)
{
  target t = { .path = STRALLOC_ZERO, .w = CDBWRITE_ZERO } ;
  stralloc v = STRALLOC_ZERO ;
  size_t n = mc_nlines(acc) ;
  unsigned int mode = 0640 ;
  gid_t gid = (gid_t)-1 ;
  /* authd runs as phauth and must read the hashes; nobody else may. */
  {
    struct group *gr = getgrnam("phauth") ;
    if (gr) gid = gr->gr_gid ;
    else
    {
      mode = 0600 ;
      strerr_warnw1x("group phauth does not exist: passwd.cdb is left mode 0600, readable by its owner only") ;
    }
  }
  open_map(&t, dir, "passwd.cdb") ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &acc->lines) + i ;
    if (!l->data || l->deleted) continue ;
    v.len = 0 ;
    if (!stralloc_catb(&v, mc_str(acc, l->val), l->vallen)
     || !stralloc_0(&v)
     || !stralloc_catb(&v, mc_str(acc, l->extra), l->extralen)) dienomem() ;
    add(&t, mc_str(acc, l->key), l->keylen, v.s, v.len) ;
  }
  finish(&t, mode, gid) ;
  stralloc_free(&v) ;
}

/* docker-mailserver's quotas: with ENABLE_QUOTAS (default 1), an
 * account's line in dovecot-quotas.cf, else POSTFIX_MAILBOX_SIZE_LIMIT
 * (bytes; docker-mailserver makes it Dovecot's default quota_rule), 0
 * meaning no quota either way. Only a quota goes into the map, in bytes,
 * so the daemons never parse units. */
static void quota_settings (int *enabled, uint64_t *def)
{
  if (!config_get_bool("ENABLE_QUOTAS", 1, enabled))
    strerr_dief1x(100, "invalid ENABLE_QUOTAS: use 0 or 1") ;
  if (!config_get_size("POSTFIX_MAILBOX_SIZE_LIMIT", 0, def))
    strerr_dief1x(100, "invalid POSTFIX_MAILBOX_SIZE_LIMIT: a size in bytes") ;
}

static void warn_stray_quotas (mcfile const *acc, mcfile const *quotas)
{
  size_t n = mc_nlines(quotas) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &quotas->lines) + i ;
    char fmt[UINT_FMT] ;
    if (!l->data || l->deleted) continue ;
    if (mc_file_find(acc, mc_str(quotas, l->key), l->keylen, 0) >= 0) continue ;
    fmt[uint_fmt(fmt, l->lineno)] = 0 ;
    strerr_warnw6x(quotas->path, ":", fmt, ": no account ", mc_str(quotas, l->key), ": quota ignored") ;
  }
}

static void compile_users (mcfile const *acc, mcfile const *quotas, char const *dir)
{
  target t = { .path = STRALLOC_ZERO, .w = CDBWRITE_ZERO } ;
  stralloc v = STRALLOC_ZERO ;
  size_t n = mc_nlines(acc) ;
  int enabled, anyquota = 0 ;
  uint64_t def ;
  quota_settings(&enabled, &def) ;
  if (enabled) warn_stray_quotas(acc, quotas) ;
  open_map(&t, dir, "users.cdb") ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &acc->lines) + i ;
    char const *k = mc_str(acc, l->key) ;
    char const *at ;
    uint64_t quota = def ;
    if (!l->data || l->deleted) continue ;
    at = strrchr(k, '@') ;
    /* maildir=<domain>/<user>, relative to PH_MAILROOT, as
     * docker-mailserver lays out /var/mail. */
    v.len = 0 ;
    if (!stralloc_cats(&v, "maildir=")
     || !stralloc_cats(&v, at + 1)
     || !stralloc_catb(&v, "/", 1)
     || !stralloc_catb(&v, k, at - k)
     || !stralloc_0(&v)) dienomem() ;
    mc_quota_find(quotas, k, l->keylen, &quota) ;
    if (enabled && quota)
    {
      char fmt[UINT64_FMT] ;
      if (!stralloc_cats(&v, "quota=")
       || !stralloc_catb(&v, fmt, uint64_fmt(fmt, quota))
       || !stralloc_0(&v)) dienomem() ;
      anyquota = 1 ;
    }
    add(&t, k, l->keylen, v.s, v.len) ;
  }
  finish(&t, 0644, (gid_t)-1) ;
  stralloc_free(&v) ;
  if (anyquota) mc_quota_statusdir() ;
}

/* postfix-aliases.cf (mailctl/dms.h): name -> name@<host name> and
 * name@localhost, unless an account or a postfix-virtual.cf alias has
 * that address (those are the admin's more specific word); a bare target
 * is qualified with the host name. Returns 1 if any entry was added. */
static char const *local_domains[2] ;

static int local_domains_init (void)
{
  static char host[ADDR_DOMAIN_MAX + 1] ;
  char const *h = config_hostname() ;
  size_t n = strlen(h) ;
  /* a bad host name costs the local aliases only, not every other map */
  if (n > ADDR_DOMAIN_MAX || !addr_domain_valid(h, n, 0))
  {
    strerr_warnw3x("the host name ", h, " is not a domain name (set OVERRIDE_HOSTNAME): postfix-aliases.cf left out") ;
    return 0 ;
  }
  for (size_t i = 0 ; i <= n ; i++) host[i] = h[i] >= 'A' && h[i] <= 'Z' ? h[i] + ('a' - 'A') : h[i] ;
  local_domains[0] = host ;
  local_domains[1] = "localhost" ;
  return 1 ;
}

static int add_local_aliases (target *t, mcfile const *acc, mcfile const *virt)
{
  stralloc k = STRALLOC_ZERO, v = STRALLOC_ZERO ;
  char const *r = mc_dms.localaliases.s ;
  size_t len = mc_dms.localaliases.len, pos = 0 ;
  int added = 0 ;
  if (!len || !local_domains_init()) return 0 ;
  while (pos < len)
  {
    char const *name = r + pos ;
    size_t first = pos + strlen(name) + 1, end = first ;
    while (end < len && r[end]) end += strlen(r + end) + 1 ;
    pos = end + 1 ;
    for (unsigned int d = 0 ; d < 2 ; d++)
    {
      k.len = 0 ;
      if (!stralloc_cats(&k, name) || !stralloc_catb(&k, "@", 1) || !stralloc_cats(&k, local_domains[d])) dienomem() ;
      if (mc_file_find(acc, k.s, k.len, 0) >= 0 || mc_file_find(virt, k.s, k.len, 0) >= 0) continue ;
      if (!stralloc_0(&k)) dienomem() ;
      k.len-- ;
      {
        /* the first line for a name wins, as postalias keeps one */
        size_t p2 = 0 ;
        int dup = 0 ;
        while (p2 < (size_t)(name - r))
        {
          if (!strcmp(r + p2, name)) { dup = 1 ; break ; }
          p2 += strlen(r + p2) + 1 ;
          while (r[p2]) p2 += strlen(r + p2) + 1 ;
          p2++ ;
        }
        if (dup) continue ;
      }
      v.len = 0 ;
      for (size_t q = first ; q < end ; q += strlen(r + q) + 1)
      {
        char const *tg = r + q ;
        size_t before = v.len ;
        if (!stralloc_cats(&v, tg)) dienomem() ;
        if (!strchr(tg, '@') && (!stralloc_catb(&v, "@", 1) || !stralloc_cats(&v, local_domains[0]))) dienomem() ;
        if (mc_targets_has(v.s, before, v.s + before, v.len - before)) { v.len = before ; continue ; }
        if (!stralloc_0(&v)) dienomem() ;
      }
      add(t, k.s, k.len, v.s, v.len) ;
      added = 1 ;
    }
  }
  stralloc_free(&k) ;
  stralloc_free(&v) ;
  return added ;
}

static int compile_aliases (mcfile const *acc, mcfile const *virt, char const *dir)
{
  int local ;
  target t = { .path = STRALLOC_ZERO, .w = CDBWRITE_ZERO } ;
  stralloc v = STRALLOC_ZERO ;
  size_t n = mc_nlines(virt) ;
  open_map(&t, dir, "aliases.cdb") ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &virt->lines) + i ;
    char const *k = mc_str(virt, l->key) ;
    long j ;
    if (!l->data || l->deleted) continue ;
    /* An alias on several lines is one alias: its targets are merged at
     * its first line, in order, each once. */
    if (mc_file_find(virt, k, l->keylen, 0) != (long)i) continue ;
    v.len = 0 ;
    for (j = (long)i ; j >= 0 ; j = mc_file_find(virt, k, l->keylen, j + 1))
    {
      mcline const *m = genalloc_s(mcline, &virt->lines) + j ;
      size_t p = 0 ;
      while (p < m->vallen)
      {
        char const *tg = mc_str(virt, m->val) + p ;
        size_t tlen = strlen(tg) ;
        if (!mc_targets_has(v.s, v.len, tg, tlen) && !stralloc_catb(&v, tg, tlen + 1)) dienomem() ;
        p += tlen + 1 ;
      }
    }
    add(&t, k, l->keylen, v.s, v.len) ;
  }
  local = add_local_aliases(&t, acc, virt) ;
  finish(&t, 0644, (gid_t)-1) ;
  stralloc_free(&v) ;
  return local ;
}

static int strp_cmp (void const *a, void const *b)
{
  return strcmp(*(char const *const *)a, *(char const *const *)b) ;
}

static void collect_domains (mcfile const *f, genalloc *list)
{
  size_t n = mc_nlines(f) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mcline const *l = genalloc_s(mcline, &f->lines) + i ;
    char const *d ;
    if (!l->data || l->deleted) continue ;
    d = strrchr(mc_str(f, l->key), '@') + 1 ;
    if (!genalloc_append(char const *, list, &d)) dienomem() ;
  }
}

static void compile_domains (mcfile const *acc, mcfile const *virt, int local, char const *dir)
{
  target t = { .path = STRALLOC_ZERO, .w = CDBWRITE_ZERO } ;
  genalloc list = GENALLOC_ZERO ;  /* char const *, into the files' storage */
  char const **d ;
  size_t n ;
  collect_domains(acc, &list) ;
  collect_domains(virt, &list) ;
  if (local)
    for (unsigned int i = 0 ; i < 2 ; i++)
      if (!genalloc_append(char const *, &list, &local_domains[i])) dienomem() ;
  d = genalloc_s(char const *, &list) ;
  n = genalloc_len(char const *, &list) ;
  qsort(d, n, sizeof(char const *), &strp_cmp) ;
  open_map(&t, dir, "domains.cdb") ;
  for (size_t i = 0 ; i < n ; i++)
    if (!i || strcmp(d[i], d[i - 1]))
      add(&t, d[i], strlen(d[i]), "", 0) ;
  finish(&t, 0644, (gid_t)-1) ;
  genalloc_free(char const *, &list) ;
}

void mc_compile (mcfile const *accounts, mcfile const *virtual, mcfile const *quotas, char const *cdbdir)
{
  char const *confdir = config_get("PH_CONFIG_DIR") ;
  /* docker-mailserver's other files are all checked before any map is
   * replaced, as the three above were by their parsers (mailctl/dms.h) */
  if (confdir) mc_dms_load(confdir) ;
  compile_passwd(accounts, cdbdir) ;
  compile_users(accounts, quotas, cdbdir) ;
  {
    int local = compile_aliases(accounts, virtual, cdbdir) ;
    mc_dms_write(cdbdir) ;
    compile_domains(accounts, virtual, local, cdbdir) ;
  }
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>

#include "common/cdbmap.h"
#include "common/config.h"
#include "common/maildir.h"
#include "common/rcpt.h"

 /* The five rules of docs/internals.md, applied recursively to alias
    targets; the details are in common/rcpt.h. cdbmap data is only valid
    until the next lookup in the same map, so alias values are copied
    before their targets are looked up. Recursion depth is bounded by
    RCPT_DEPTH_MAX, total work by RCPT_STEPS_MAX. */

typedef struct expander_s expander ;
struct expander_s
{
  rcptmaps *m ;
  genalloc *dests ;
  stralloc *storage ;
  stralloc *unknown ;
  size_t first ;                /* our first rcptdest in *dests */
  unsigned int steps ;
  char const *delims ;
  char const *path[RCPT_DEPTH_MAX + 2] ;  /* addresses being expanded */
  size_t pathlen[RCPT_DEPTH_MAX + 2] ;
} ;

static int on_path (expander const *e, unsigned int n, char const *key, size_t keylen)
{
  for (unsigned int i = 0 ; i < n ; i++)
    if (e->pathlen[i] == keylen && !memcmp(e->path[i], key, keylen)) return 1 ;
  return 0 ;
}

static int has_delim (expander const *e, char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++) if (s[i] && strchr(e->delims, s[i])) return 1 ;
  return 0 ;
}

static int push_dest (expander *e, int kind, char const *addr, size_t addrlen, char const *maildir, size_t mlen, char const *folder, size_t flen, uint64_t quota)
{
  rcptdest d = { .kind = kind, .quota = quota } ;
  size_t n = genalloc_len(rcptdest, e->dests) ;
  rcptdest const *all = genalloc_s(rcptdest, e->dests) ;
  for (size_t i = e->first ; i < n ; i++)
  {
    char const *s = e->storage->s ;
    if (all[i].kind != kind) continue ;
    if (kind == RCPT_REMOTE)
    {
      if (strlen(s + all[i].addr) == addrlen && !memcmp(s + all[i].addr, addr, addrlen)) return 1 ;
    }
    else if (strlen(s + all[i].maildir) == mlen && !memcmp(s + all[i].maildir, maildir, mlen)
          && strlen(s + all[i].folder) == flen && !memcmp(s + all[i].folder, folder, flen)) return 1 ;
  }
  if (n - e->first >= RCPT_DESTS_MAX) return (errno = E2BIG, 0) ;
  d.addr = e->storage->len ;
  if (!stralloc_catb(e->storage, addr, addrlen) || !stralloc_0(e->storage)) return 0 ;
  d.maildir = e->storage->len ;
  if (!stralloc_catb(e->storage, maildir, mlen) || !stralloc_0(e->storage)) return 0 ;
  d.folder = e->storage->len ;
  if (!stralloc_catb(e->storage, folder, flen) || !stralloc_0(e->storage)) return 0 ;
  return genalloc_append(rcptdest, e->dests, &d) ;
}

 /* users.cdb value: text0 fields, one of them "maildir=<relative path>",
    maybe "quota=<bytes>". */
static int add_account (expander *e, char const *key, size_t keylen, cdb_data const *v, char const *tag, size_t taglen)
{
  size_t pos = 0 ;
  uint64_t quota ;
  if (!v->len || v->s[v->len - 1]) return (errno = EINVAL, 0) ;
  if (!rcpt_user_quota(v->s, v->len, &quota)) return 0 ;
  while (pos < v->len)
  {
    char const *f = v->s + pos ;
    size_t flen = strlen(f) ;
    if (flen > 8 && !memcmp(f, "maildir=", 8))
    {
      if (!maildir_path_valid(f + 8, flen - 8)) break ;
      return push_dest(e, RCPT_LOCAL, key, keylen, f + 8, flen - 8, tag, taglen, quota) ;
    }
    pos += flen + 1 ;
  }
  return (errno = EINVAL, 0) ;
}

static int resolve (expander *, char const *, size_t, unsigned int, int) ;

 /* aliases.cdb value: targets, each NUL-terminated. tag, if not 0, is
    the unmatched "+tag" to propagate, delim its delimiter. */
static int expand_targets (expander *e, char const *key, size_t keylen, cdb_data const *v, unsigned int depth, char delim, char const *tag, size_t taglen)
{
  stralloc copy = STRALLOC_ZERO ;
  size_t pos = 0 ;
  int ok = 1 ;
  if (!v->len) return 1 ;
  if (v->s[v->len - 1]) return (errno = EINVAL, 0) ;
  if (!stralloc_catb(&copy, v->s, v->len)) return 0 ;
  e->path[depth] = key ;
  e->pathlen[depth] = keylen ;
  while (ok && pos < copy.len)
  {
    char target[RCPT_KEY_MAX + 1] ;
    char const *t = copy.s + pos ;
    size_t tlen = strlen(t) ;
    size_t at = byte_rchr(t, tlen, '@') ;
    pos += tlen + 1 ;
    if (!tlen || tlen > RCPT_KEY_MAX || !at || at >= tlen - 1) { errno = EINVAL ; ok = 0 ; break ; }
    memcpy(target, t, tlen) ;
    if (tag && t[0] != '"' && !has_delim(e, t, at) && tlen + 1 + taglen <= RCPT_KEY_MAX)
    {
      memcpy(target + at + 1 + taglen, t + at, tlen - at) ;
      target[at] = delim ;
      memcpy(target + at + 1, tag, taglen) ;
      tlen += 1 + taglen ;
    }
    target[tlen] = 0 ;
    ok = resolve(e, target, tlen, depth + 1, on_path(e, depth + 1, target, tlen)) ;
  }
  {
    int err = errno ;
    stralloc_free(&copy) ;
    errno = err ;
  }
  return ok ;
}

 /* Returns 1 (destinations appended, maybe none) or 0 (errno). self: key
    is an address already being expanded: only rule 3 may end it. */
static int resolve (expander *e, char const *key, size_t keylen, unsigned int depth, int self)
{
  cdb_data v ;
  char base[RCPT_KEY_MAX + 2] ;
  size_t baselen = keylen ;
  size_t at = byte_rchr(key, keylen, '@') ;
  char const *domain = key + (at < keylen ? at + 1 : keylen) ;
  size_t domainlen = keylen - (domain - key) ;
  char const *tag = 0 ;
  size_t taglen = 0 ;
  char delim = 0 ;
  int r ;

  if (++e->steps > RCPT_STEPS_MAX) return (errno = E2BIG, 0) ;
  if (depth > RCPT_DEPTH_MAX) return (errno = ELOOP, 0) ;
  if (keylen > RCPT_KEY_MAX) return (errno = EINVAL, 0) ;

   /* 1. not our domain: forward it */
  r = rcptmaps_find_required(&e->m->domains, domain, domainlen, &v) ;
  if (r < 0) return 0 ;
  if (!r) return push_dest(e, RCPT_REMOTE, key, keylen, "", 0, "", 0, 0) ;

  memcpy(base, key, keylen) ;
  if (at < keylen && key[0] != '"')
  {
    size_t i = 1 ;
    for (; i < at ; i++) if (key[i] && strchr(e->delims, key[i])) break ;
    if (i < at)
    {
      delim = key[i] ;
      tag = key + i + 1 ;
      taglen = at - i - 1 ;
      memcpy(base + i, key + at, keylen - at) ;
      baselen = i + keylen - at ;
    }
  }
  base[baselen] = 0 ;

  if (!self)
  {
     /* 2. an exact alias: local+tag@domain, then local@domain */
    r = cdbmap_find(&e->m->aliases, key, keylen, &v) ;
    if (r < 0) return 0 ;
    if (r) return expand_targets(e, key, keylen, &v, depth, 0, 0, 0) ;
     /* 2b. postfix-regexp.cf, with the full address only */
    {
      stralloc t = STRALLOC_ZERO ;
      r = rcpt_regexp_targets(e->m, key, keylen, &t) ;
      if (r > 0)
      {
        cdb_data d = { .s = t.s, .len = (uint32_t)t.len } ;
        r = expand_targets(e, key, keylen, &d, depth, 0, 0, 0) ;
        stralloc_free(&t) ;
        return r ;
      }
      if (r < 0) return 0 ;
    }
    if (tag)
    {
      r = cdbmap_find(&e->m->aliases, base, baselen, &v) ;
      if (r < 0) return 0 ;
      if (r) return expand_targets(e, key, keylen, &v, depth, delim, tag, taglen) ;
    }
  }

   /* 3. an account: the full address first, so that an account whose
      name holds the delimiter ("first+last") gets its mail (Postfix's
      order for virtual_mailbox_maps), then with the tag removed; the
      tag then names the folder */
  r = rcptmaps_find_required(&e->m->users, key, keylen, &v) ;
  if (r < 0) return 0 ;
  if (r) return add_account(e, key, keylen, &v, "", 0) ;
  if (tag)
  {
    r = rcptmaps_find_required(&e->m->users, base, baselen, &v) ;
    if (r < 0) return 0 ;
    if (r) return add_account(e, key, keylen, &v, tag, taglen) ;
  }

  if (self) return (errno = ELOOP, 0) ;

   /* 4. the catch-all @domain */
  {
    char catchall[RCPT_KEY_MAX + 1] ;
    catchall[0] = '@' ;
    memcpy(catchall + 1, domain, domainlen) ;
    r = cdbmap_find(&e->m->aliases, catchall, domainlen + 1, &v) ;
    if (r < 0) return 0 ;
    if (r) return expand_targets(e, key, keylen, &v, depth, 0, 0, 0) ;
  }

   /* 5. unknown */
  if (depth && e->unknown)
    if (!stralloc_catb(e->unknown, key, keylen) || !stralloc_0(e->unknown)) return 0 ;
  return 1 ;
}

int rcpt_expand_report (rcptmaps *m, char const *key, size_t keylen, genalloc *dests, stralloc *storage, stralloc *unknown)
{
  expander e =
  {
    .m = m,
    .dests = dests,
    .storage = storage,
    .unknown = unknown,
    .first = genalloc_len(rcptdest, dests),
    .steps = 0,
    .delims = config_get_default("PH_RECIPIENT_DELIMITER", "+")
  } ;
  size_t storagelen = storage->len ;
  size_t unknownlen = unknown ? unknown->len : 0 ;
  if (!resolve(&e, key, keylen, 0, 0))
  {
    genalloc_setlen(rcptdest, dests, e.first) ;
    storage->len = storagelen ;
    if (unknown) unknown->len = unknownlen ;
    return -1 ;
  }
  return (int)(genalloc_len(rcptdest, dests) - e.first) ;
}

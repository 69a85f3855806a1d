/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/accessrules.h"
#include "common/cdbwrite.h"
#include "common/log.h"
#include "banwatch.h"

/* The bans, in memory and in two files banwatch alone writes:
 * - bans.cdb (docs/internals.md): the live bans, key = the network,
 *   value = the decimal end time or "0" (permanent); what tcpd reads;
 * - the state file: every record, live or recently ended (so a repeat
 *   offender's next ban is longer, across restarts), one per line:
 *   "<key> <until> <count>\n" (until 0 = permanent; count = how many
 *   times it was banned). Written whole to a temporary name, fsynced,
 *   renamed, directory fsynced; mailctl ban list reads it.
 * Both are rewritten only when a ban changes (coalesced per batch of
 * events by the caller), never per event. */

typedef struct rec_s rec ;
struct rec_s
{
  bw_addr addr ;
  uint64_t until ;
  uint32_t count ;
  uint8_t in_nft ;      /* an element of the nftables set stands for it */
  uint64_t nft_until ;  /* the end that element was given */
} ;

static genalloc recs = GENALLOC_ZERO ;  /* rec */
static bw_config cfg ;
static int dirty = 0 ;
static int nft_resync = 0 ;
static uint64_t nft_checked = 0 ;

void bw_bans_init (bw_config const *c)
{
  cfg = *c ;
}

void bw_bans_dirty (void)
{
  dirty = 1 ;
}

uint32_t bw_bans_count (void)
{
  return (uint32_t)genalloc_len(rec, &recs) ;
}

static rec *find (bw_addr const *a)
{
  rec *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  for (size_t i = 0 ; i < n ; i++) if (bw_addr_same(&r[i].addr, a)) return r + i ;
  return 0 ;
}

static int live (rec const *r, uint64_t now)
{
  return !r->until || r->until > now ;
}

/* A record leaves the table: its nftables element (if any) goes too */
static void nft_forget (rec *r)
{
  if (r->in_nft) bw_nft_del(&r->addr) ;
  r->in_nft = 0 ;
}

static void log_evicted (rec const *victim, bw_addr const *a)
{
  char key[ACCESSRULES_KEY_MAX] ;
  logline l ;
  log_begin(&l, "ban_evicted") ;
  log_kvn(&l, "key", key, bw_addr_key(key, &victim->addr)) ;
  log_kvu(&l, "until", victim->until) ;
  log_kvu(&l, "count", victim->count) ;
  log_kvn(&l, "for", key, bw_addr_key(key, a)) ;
  log_kvu(&l, "max", cfg.maxbans) ;
  log_commit(&l) ;
}

/* Room for one more record, for a. When the table is full, the oldest
 * ended record goes first; with only live bans, the one ending soonest
 * is evicted (logged): it had the least ban left to serve, and a fresh
 * attacker is worth more than its last minutes. Permanent bans (the
 * admin's) are never evicted: with only those, there is no room. */
static rec *newrec (uint64_t now, bw_addr const *a)
{
  rec *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  rec blank ;
  if (n >= cfg.maxbans)
  {
    size_t victim = n ;
    for (size_t i = 0 ; i < n ; i++)
      if (!live(r + i, now) && (victim == n || r[i].until < r[victim].until)) victim = i ;
    if (victim == n)
    {
      for (size_t i = 0 ; i < n ; i++)
        if (r[i].until && (victim == n || r[i].until < r[victim].until)) victim = i ;
      if (victim == n) return 0 ;
      log_evicted(r + victim, a) ;
    }
    nft_forget(r + victim) ;
    memset(r + victim, 0, sizeof(rec)) ;
    return r + victim ;
  }
  memset(&blank, 0, sizeof(blank)) ;
  if (!genalloc_append(rec, &recs, &blank)) strerr_diefu1sys(111, "allocate memory") ;
  return genalloc_s(rec, &recs) + n ;
}

static void log_ban (char const *event, rec const *r, char const *reason, uint64_t duration)
{
  logline l ;
  char key[ACCESSRULES_KEY_MAX] ;
  log_begin(&l, event) ;
  log_kvn(&l, "key", key, bw_addr_key(key, &r->addr)) ;
  if (r->until) log_kvu(&l, "until", r->until) ; else log_kv(&l, "until", "permanent") ;
  if (duration) log_kvu(&l, "duration", duration) ;
  log_kvu(&l, "count", r->count) ;
  if (reason) log_kv(&l, "reason", reason) ;
  log_commit(&l) ;
}

uint64_t bw_bans_add_auto (bw_addr const *a, uint64_t now, char const *reason)
{
  rec *r = find(a) ;
  uint64_t duration = cfg.bantime ;
  if (r && live(r, now)) return r->until ;  /* already banned: nothing to grow */
  if (!r)
  {
    r = newrec(now, a) ;
    if (!r)
    {
      char key[ACCESSRULES_KEY_MAX] ;
      logline l ;
      log_begin(&l, "ban_table_full") ;
      log_kvn(&l, "key", key, bw_addr_key(key, a)) ;
      log_kvu(&l, "max", cfg.maxbans) ;
      log_commit(&l) ;
      return 0 ;
    }
    r->addr = *a ;
    r->count = 0 ;
  }
  /* bantime, doubled for each earlier ban still remembered, up to maxtime */
  for (uint32_t i = 0 ; i < r->count && duration < cfg.maxtime ; i++) duration <<= 1 ;
  if (duration > cfg.maxtime) duration = cfg.maxtime ;
  r->count++ ;
  r->until = now + duration ;
  dirty = 1 ;
  log_ban("ban", r, reason, duration) ;
  return r->until ;
}

int bw_bans_add_manual (bw_addr const *a, uint64_t now, uint64_t duration)
{
  rec *r = find(a) ;
  if (!r)
  {
    r = newrec(now, a) ;
    if (!r) return 0 ;
    r->addr = *a ;
    r->count = 0 ;
  }
  r->count++ ;
  r->until = duration ? now + duration : 0 ;
  dirty = 1 ;
  log_ban("ban", r, "manual", duration) ;
  return 1 ;
}

/* A lifted ban ends now but its record stays (as any ended ban, for
 * maxtime), so a client let back and caught again gets a longer ban. */
unsigned int bw_bans_remove (bw_addr const *a, int exact, uint64_t now)
{
  rec *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  unsigned int lifted = 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (!live(r + i, now)) continue ;
    if (exact ? bw_addr_same(&r[i].addr, a) : bw_addr_within(a, &r[i].addr))
    {
      r[i].until = now ;
      log_ban("unban", r + i, "manual", 0) ;
      lifted++ ;
    }
  }
  if (lifted) dirty = 1 ;
  return lifted ;
}

int bw_bans_live (bw_addr const *a, uint64_t now)
{
  rec const *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  for (size_t i = 0 ; i < n ; i++) if (live(r + i, now) && bw_addr_within(a, &r[i].addr)) return 1 ;
  return 0 ;
}

static void log_error (char const *what, char const *path)
{
  logline l ;
  int e = errno ;
  log_begin(&l, "write_error") ;
  log_kv(&l, "what", what) ;
  log_kv(&l, "file", path) ;
  log_kv(&l, "error", strerror(e)) ;
  log_commit(&l) ;
  errno = e ;
}

static int write_cdb (uint64_t now)
{
  cdbwrite w = CDBWRITE_ZERO ;
  rec const *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  if (!cdbwrite_start(&w, cfg.cdbpath)) goto err ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char key[ACCESSRULES_KEY_MAX] ;
    char val[UINT64_FMT] ;
    if (!live(r + i, now)) continue ;
    if (!cdbwrite_add(&w, key, bw_addr_key(key, &r[i].addr), val, uint64_fmt(val, r[i].until))) goto err ;
  }
  if (!cdbwrite_finish(&w, 0644, (uid_t)-1, (gid_t)-1)) goto err ;
  stralloc_free(&w.tmp) ;
  return 1 ;
 err:
  log_error("bans.cdb", cfg.cdbpath) ;
  cdbwrite_abort(&w) ;
  stralloc_free(&w.tmp) ;
  return 0 ;
}

static int write_state (void)
{
  stralloc sa = STRALLOC_ZERO ;
  rec const *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  int ok ;
  if (!stralloc_cats(&sa, "# banwatch state: key until(0=permanent) count\n")) goto err ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char line[ACCESSRULES_KEY_MAX + 2 * UINT64_FMT + 3] ;
    size_t m = bw_addr_key(line, &r[i].addr) ;
    line[m++] = ' ' ;
    m += uint64_fmt(line + m, r[i].until) ;
    line[m++] = ' ' ;
    m += uint32_fmt(line + m, r[i].count) ;
    line[m++] = '\n' ;
    if (!stralloc_catb(&sa, line, m)) goto err ;
  }
  ok = openwritenclose_suffix_sync(cfg.statepath, sa.s, sa.len, ".tmp") && cdbwrite_dirsync(cfg.statepath) ;
  if (!ok) goto err ;
  stralloc_free(&sa) ;
  return 1 ;
 err:
  log_error("state", cfg.statepath) ;
  stralloc_free(&sa) ;
  return 0 ;
}

/* A ban whose network lies inside another live ban's gets no element of
 * its own: an interval set refuses overlapping elements ("interval
 * overlaps with an existing one") and the wider one drops it anyway.
 * When the wider one ends first, the next check adds the narrower. */
static int nft_covered (rec const *r, size_t n, size_t self, size_t const *wide, size_t nwide, uint64_t now)
{
  int all = r[self].addr.is6 ? r[self].addr.bits > 64 : 0 ;  /* a manual /65../128: rare, scan all */
  size_t m = all ? n : nwide ;
  for (size_t j = 0 ; j < m ; j++)
  {
    size_t k = all ? j : wide[j] ;
    if (k == self || !live(r + k, now) || r[k].addr.bits >= r[self].addr.bits) continue ;
    if (bw_addr_within(&r[self].addr, &r[k].addr)) return 1 ;
  }
  return 0 ;
}

/* Brings the nftables set in line with the records: deletions first
 * (the helper keeps the order), so a wider ban never meets the narrower
 * element it replaces. Each element's timeout is the ban's remaining
 * time, so the kernel drops it at the ban's end even if we are gone. */
static void nft_sync (uint64_t now)
{
  rec *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  genalloc wide = GENALLOC_ZERO ;  /* size_t: live bans wider than a client key */
  size_t nwide ;
  if (nft_resync)
  {
    bw_nft_reset() ;
    for (size_t i = 0 ; i < n ; i++) r[i].in_nft = 0 ;
    nft_resync = 0 ;
  }
  for (size_t i = 0 ; i < n ; i++)
    if (live(r + i, now) && r[i].addr.bits < (r[i].addr.is6 ? 64 : 32))
      if (!genalloc_append(size_t, &wide, &i)) strerr_diefu1sys(111, "allocate memory") ;
  nwide = genalloc_len(size_t, &wide) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    int want = live(r + i, now) && !nft_covered(r, n, i, genalloc_s(size_t, &wide), nwide, now) ;
    if (r[i].in_nft && (!want || r[i].nft_until != r[i].until)) nft_forget(r + i) ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    if (r[i].in_nft || !live(r + i, now) || nft_covered(r, n, i, genalloc_s(size_t, &wide), nwide, now)) continue ;
    bw_nft_add(&r[i].addr, r[i].until ? r[i].until - now : 0) ;
    r[i].in_nft = 1 ;
    r[i].nft_until = r[i].until ;
  }
  genalloc_free(size_t, &wide) ;
  nft_checked = now ;
}

void bw_bans_nft_resync (void)
{
  nft_resync = 1 ;
}

int bw_bans_flush (uint64_t now, int force)
{
  rec *r = genalloc_s(rec, &recs) ;
  size_t n = genalloc_len(rec, &recs) ;
  for (size_t i = 0 ; i < n ; )
  {
    /* an ended ban is kept maxtime more, to make the next one longer */
    if (r[i].until && r[i].until + cfg.maxtime <= now) { nft_forget(r + i) ; r[i] = r[--n] ; dirty = 1 ; }
    else i++ ;
  }
  genalloc_setlen(rec, &recs, n) ;
  /* the set is only told (bw_nft.c queues); bans.cdb never waits on it */
  if (bw_nft_active() && (dirty || force || nft_resync || now >= nft_checked + BW_NFT_CHECK_SECS)) nft_sync(now) ;
  if (!dirty && !force) return 1 ;
  if (!write_cdb(now) || !write_state()) { dirty = 1 ; return 0 ; }
  dirty = 0 ;
  return 1 ;
}

void bw_bans_load (uint64_t now)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t i = 0 ;
  unsigned int lineno = 0 ;
  if (!openslurpclose(&sa, cfg.statepath))
  {
    if (errno == ENOENT) return ;
    strerr_diefu2sys(111, "read ", cfg.statepath) ;
  }
  while (i < sa.len)
  {
    size_t end = i + byte_chr(sa.s + i, sa.len - i, '\n') ;
    size_t sp1, sp2 ;
    rec one ;
    uint64_t until ;
    uint32_t count ;
    char *line = sa.s + i ;
    size_t len = end - i ;
    lineno++ ;
    i = end + 1 ;
    if (!len || line[0] == '#') continue ;
    sp1 = byte_chr(line, len, ' ') ;
    sp2 = sp1 < len ? sp1 + 1 + byte_chr(line + sp1 + 1, len - sp1 - 1, ' ') : len ;
    if (sp2 >= len || !bw_addr_key_scan(line, sp1, &one.addr)
     || uint64_scan(line + sp1 + 1, &until) != sp2 - sp1 - 1
     || uint32_scan(line + sp2 + 1, &count) != len - sp2 - 1)
    {
      logline l ;
      log_begin(&l, "bad_state_line") ;
      log_kv(&l, "file", cfg.statepath) ;
      log_kvu(&l, "line", lineno) ;
      log_commit(&l) ;
      continue ;
    }
    if (find(&one.addr)) continue ;
    {
      rec *r = newrec(now, &one.addr) ;
      if (!r) break ;
      r->addr = one.addr ;
      r->until = until ;
      r->count = count ;
    }
  }
  stralloc_free(&sa) ;
  dirty = 1 ;  /* rewrite bans.cdb from what we know, whatever it held */
}

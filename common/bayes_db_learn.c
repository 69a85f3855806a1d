/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* rename */
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/uint32.h>
#include <skalibs/uint64.h>

#include "common/bayes.h"

/* One learning = one new version of the file: the old records and the
 * message's tokens merged (both sorted), pruned, the message's
 * fingerprint remembered (or its verdict changed), written to path.tmp,
 * fsynced, renamed over path, the directory fsynced. Learners take
 * path.lock (flock) for the whole of it, so two learnings never lose
 * each other's counts; readers need no lock (rename is atomic). */

static int cmp64 (void const *a, void const *b)
{
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b ;
  return x < y ? -1 : x > y ;
}

/* key: how much a record is worth keeping: its total count (capped),
 * then its day; the lowest go first (hapaxes not seen for the longest) */
static uint64_t worth (char const *rec)
{
  bayes_record r ;
  uint64_t total ;
  bayes_record_unpack(rec, &r) ;
  total = (uint64_t)r.spam + r.ham ;
  if (total > 0xffff) total = 0xffff ;
  return (total << 32) | r.day ;
}

/* Drops records from out (header excluded) until at most target remain. */
static int prune (stralloc *out, uint32_t *n, uint32_t target)
{
  genalloc keys = GENALLOC_ZERO ;
  char *base = out->s + BAYES_HEADER_SIZE ;
  uint64_t cut ;
  uint32_t drop_at_cut, w = 0 ;
  if (*n <= target) return 1 ;
  if (!genalloc_ready(uint64_t, &keys, *n)) return 0 ;
  for (uint32_t i = 0 ; i < *n ; i++) genalloc_s(uint64_t, &keys)[i] = worth(base + (size_t)i * BAYES_RECORD_SIZE) ;
  qsort(genalloc_s(uint64_t, &keys), *n, sizeof(uint64_t), &cmp64) ;
  cut = genalloc_s(uint64_t, &keys)[*n - target] ;
  /* records below cut go; of those equal to cut, only as many as needed */
  drop_at_cut = 0 ;
  for (uint32_t i = 0 ; i < *n - target ; i++) if (genalloc_s(uint64_t, &keys)[i] == cut) drop_at_cut++ ;
  genalloc_free(uint64_t, &keys) ;
  for (uint32_t i = 0 ; i < *n ; i++)
  {
    char *rec = base + (size_t)i * BAYES_RECORD_SIZE ;
    uint64_t k = worth(rec) ;
    if (k < cut) continue ;
    if (k == cut && drop_at_cut) { drop_at_cut-- ; continue ; }
    if (w != i) memmove(base + (size_t)w * BAYES_RECORD_SIZE, rec, BAYES_RECORD_SIZE) ;
    w++ ;
  }
  *n = w ;
  out->len = BAYES_HEADER_SIZE + (size_t)w * BAYES_RECORD_SIZE ;
  return 1 ;
}

static int merge (stralloc *out, bayes_db const *db, bayes_tokens const *t, int is_spam, int relearn, uint32_t day, uint32_t *n)
{
  uint64_t const *h = genalloc_s(uint64_t, &t->hashes) ;
  size_t nt = genalloc_len(uint64_t, &t->hashes), i = 0, j = 0 ;
  char const *old = db->map ? db->map + BAYES_HEADER_SIZE : 0 ;
  uint64_t prev = 0 ;
  if (!stralloc_ready(out, BAYES_HEADER_SIZE + ((size_t)db->ntokens + nt) * BAYES_RECORD_SIZE)) return 0 ;
  out->len = BAYES_HEADER_SIZE ;
  *n = 0 ;
  while (i < db->ntokens || j < nt)
  {
    bayes_record r ;
    if (i < db->ntokens)
    {
      bayes_record_unpack(old + i * BAYES_RECORD_SIZE, &r) ;
      if (i && r.hash <= prev) { errno = EPROTO ; return 0 ; }   /* not sorted: damaged */
    }
    if (i < db->ntokens && (j >= nt || r.hash < h[j])) { prev = r.hash ; i++ ; }
    else if (i < db->ntokens && r.hash == h[j])
    {
      prev = r.hash ;
      i++ ; j++ ;
      /* relearning: the count the earlier verdict gave moves over */
      if (is_spam) { if (r.spam < UINT32_MAX) r.spam++ ; if (relearn && r.ham) r.ham-- ; }
      else { if (r.ham < UINT32_MAX) r.ham++ ; if (relearn && r.spam) r.spam-- ; }
      r.day = day ;
    }
    else
    {
      r.hash = h[j++] ;
      r.spam = !!is_spam ;
      r.ham = !is_spam ;
      r.day = day ;
    }
    bayes_record_pack(out->s + out->len, &r) ;
    out->len += BAYES_RECORD_SIZE ;
    (*n)++ ;
  }
  return 1 ;
}

/* The remembered messages of db with fp added (or its verdict changed)
 * at index idx, appended to out; the oldest tenth forgotten past
 * BAYES_SEEN_MAX. */
static int seen_table (stralloc *out, bayes_db const *db, uint64_t fp, int found, size_t idx, int is_spam, uint32_t day, uint32_t *m)
{
  char const *base = db->map ? db->map + BAYES_HEADER_SIZE + (size_t)db->ntokens * BAYES_RECORD_SIZE : 0 ;
  size_t start = out->len ;
  uint32_t total = db->nseen + !found, cutday = 0, w = 0 ;
  char e[BAYES_SEEN_SIZE] ;
  if (!stralloc_readyplus(out, (size_t)total * BAYES_SEEN_SIZE)) return 0 ;
  if (idx) memcpy(out->s + out->len, base, idx * BAYES_SEEN_SIZE) ;
  out->len += idx * BAYES_SEEN_SIZE ;
  uint64_pack(e, fp) ;
  uint32_pack(e + 8, (day & 0x7fffffffu) | (is_spam ? 0x80000000u : 0)) ;
  memcpy(out->s + out->len, e, BAYES_SEEN_SIZE) ;
  out->len += BAYES_SEEN_SIZE ;
  if (db->nseen > idx + found)
  {
    size_t rest = db->nseen - idx - found ;
    memcpy(out->s + out->len, base + (idx + found) * BAYES_SEEN_SIZE, rest * BAYES_SEEN_SIZE) ;
    out->len += rest * BAYES_SEEN_SIZE ;
  }
  if (total > BAYES_SEEN_MAX)
  {
    /* forget the oldest, down to 90 % of the bound: all those older
     * than the cut day, and of that day as many as still needed */
    genalloc days = GENALLOC_ZERO ;
    uint32_t drop = total - (BAYES_SEEN_MAX - BAYES_SEEN_MAX / 10), drop_at_cut = 0 ;
    if (!genalloc_ready(uint64_t, &days, total)) return 0 ;
    for (uint32_t i = 0 ; i < total ; i++)
    {
      uint32_t v ;
      uint32_unpack(out->s + start + (size_t)i * BAYES_SEEN_SIZE + 8, &v) ;
      genalloc_s(uint64_t, &days)[i] = v & 0x7fffffffu ;
    }
    qsort(genalloc_s(uint64_t, &days), total, sizeof(uint64_t), &cmp64) ;
    cutday = (uint32_t)genalloc_s(uint64_t, &days)[drop - 1] ;
    for (uint32_t i = 0 ; i < drop ; i++) if (genalloc_s(uint64_t, &days)[i] == cutday) drop_at_cut++ ;
    genalloc_free(uint64_t, &days) ;
    for (uint32_t i = 0 ; i < total ; i++)
    {
      char *ent = out->s + start + (size_t)i * BAYES_SEEN_SIZE ;
      uint32_t v ;
      uint32_unpack(ent + 8, &v) ;
      if ((v & 0x7fffffffu) < cutday) continue ;
      if ((v & 0x7fffffffu) == cutday && drop_at_cut) { drop_at_cut-- ; continue ; }
      if (w != i) memmove(out->s + start + (size_t)w * BAYES_SEEN_SIZE, ent, BAYES_SEEN_SIZE) ;
      w++ ;
    }
    total = w ;
    out->len = start + (size_t)w * BAYES_SEEN_SIZE ;
  }
  *m = total ;
  return 1 ;
}

int bayes_db_learn (char const *path, bayes_tokens const *t, int is_spam, uint32_t day, uint32_t max_tokens)
{
  size_t plen = strlen(path) ;
  char lockname[plen + 6] ;
  char tmpname[plen + 5] ;
  bayes_db db = BAYES_DB_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  uint64_t fp = bayes_fingerprint(t) ;
  uint32_t n, m ;
  size_t idx ;
  int lockfd, e, found, was_spam = 0 ;
  is_spam = !!is_spam ;
  memcpy(lockname, path, plen) ; memcpy(lockname + plen, ".lock", 6) ;
  memcpy(tmpname, path, plen) ; memcpy(tmpname + plen, ".tmp", 5) ;
  lockfd = open_create(lockname) ;
  if (lockfd < 0) return 0 ;
  while (flock(lockfd, LOCK_EX) < 0)
    if (errno != EINTR) goto err ;
  if (!bayes_db_open(&db, path)) goto err ;
  found = bayes_seen_find(&db, fp, &was_spam, &idx) ;
  if (found && was_spam == is_spam)
  {
    bayes_db_close(&db) ;
    fd_close(lockfd) ;
    return BAYES_LEARN_ALREADY ;
  }
  if (!merge(&out, &db, t, is_spam, found, day, &n)) goto err ;
  /* over the bound: down to 90 %, so that pruning is not redone at every learning */
  if (max_tokens && n > max_tokens && !prune(&out, &n, max_tokens - max_tokens / 10)) goto err ;
  if (!seen_table(&out, &db, fp, found, idx, is_spam, day, &m)) goto err ;
  memcpy(out.s, BAYES_MAGIC, 8) ;
  {
    uint32_t nspam = db.nspam, nham = db.nham ;
    if (is_spam) { if (nspam < UINT32_MAX) nspam++ ; if (found && nham) nham-- ; }
    else { if (nham < UINT32_MAX) nham++ ; if (found && nspam) nspam-- ; }
    uint32_pack(out.s + 8, nspam) ;
    uint32_pack(out.s + 12, nham) ;
  }
  uint32_pack(out.s + 16, n) ;
  uint32_pack(out.s + 20, day) ;
  uint32_pack(out.s + 24, m) ;
  memset(out.s + 28, 0, 4) ;
  bayes_db_close(&db) ;
  if (!openwritenclose_unsafe_sync(tmpname, out.s, out.len)) goto err ;
  if (rename(tmpname, path) < 0) { e = errno ; unlink(tmpname) ; errno = e ; goto err ; }
  {
    char dir[plen + 2] ;
    char const *slash = strrchr(path, '/') ;
    int dfd ;
    if (slash) { memcpy(dir, path, (size_t)(slash - path)) ; dir[slash - path] = 0 ; }
    else memcpy(dir, ".", 2) ;
    if (!dir[0]) memcpy(dir, "/", 2) ;
    dfd = open_read(dir) ;
    if (dfd < 0) goto err ;
    if (fd_sync(dfd) < 0) { e = errno ; fd_close(dfd) ; errno = e ; goto err ; }
    fd_close(dfd) ;
  }
  stralloc_free(&out) ;
  fd_close(lockfd) ;   /* releases the lock */
  return found ? BAYES_LEARN_RELEARNED : BAYES_LEARN_NEW ;
 err:
  e = errno ;
  bayes_db_close(&db) ;
  stralloc_free(&out) ;
  fd_close(lockfd) ;
  errno = e ;
  return 0 ;
}

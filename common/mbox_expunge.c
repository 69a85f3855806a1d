/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* EXPUNGE under the uidlist lock: unlink the files (one renamed
    meanwhile is found by its base name; one already gone was expunged
    by someone else and counts the same), fsync cur/, drop the uidlist
    records, record the UIDs as expunged at one new modseq in
    posthaste-modseq (QRESYNC VANISHED), release. The session then learns
    of the expunges through the ordinary sync, which also brings any
    other change. */

static int in_set (uint32_t const *uids, size_t n, uint32_t uid)
{
  size_t lo = 0, hi = n ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (uids[mid] == uid) return 1 ;
    if (uids[mid] < uid) lo = mid + 1 ; else hi = mid ;
  }
  return 0 ;
}

static int unlink_msg (mbox *m, char const *name)
{
  mbox_fname f ;
  stralloc sa = STRALLOC_ZERO ;
  int r ;
  if (!unlinkat(m->dirfd, name, 0)) return 1 ;
  if (errno != ENOENT) return 0 ;
  mbox_fname_parse(name + 4, &f) ;
  r = mbox_find_base(m->dirfd, "cur", name + 4, f.baselen, &sa) ;
  if (!r) r = mbox_find_base(m->dirfd, "new", name + 4, f.baselen, &sa) ;
  if (r > 0 && unlinkat(m->dirfd, sa.s, 0) == -1 && errno != ENOENT) r = -1 ;
  stralloc_free(&sa) ;
  return r >= 0 ;
}

int mbox_expunge (mbox *m, uint32_t const *uids, size_t nuids, unsigned int flags, mbox_changes *ch)
{
  mbox_uidlist ul = MBOX_UIDLIST_ZERO ;
  genalloc gone = GENALLOC_ZERO ;   /* uint32_t */
  size_t n = mbox_count(m) ;
  int lockfd ;
  uint64_t mod ;
  int e ;

  ch->expunged_seq.len = 0 ; ch->expunged_uid.len = 0 ; ch->changed.len = 0 ;
  ch->added = 0 ; ch->keywords_changed = 0 ;
  if (m->readonly) return (errno = EROFS, 0) ;
  lockfd = mbox_lock(m->dirfd) ;
  if (lockfd < 0) return 0 ;
  if (!mbox_priv_load_ms(m)) goto err ;
  if (!mbox_uidlist_read(m->dirfd, &ul)) goto err ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mbox_msg const *x = mbox_at(m, i) ;
    if (uids && !in_set(uids, nuids, x->uid)) continue ;
    if (!(flags & MBOX_EXPUNGE_FORCE) && !(x->flags & MBOX_DELETED)) continue ;
    if (!unlink_msg(m, mbox_name(m, i))) goto err ;
    if (!genalloc_append(uint32_t, &gone, &x->uid)) goto err ;
  }
  if (gone.len)
  {
    uint32_t const *g = genalloc_s(uint32_t const, &gone) ;
    size_t ng = genalloc_len(uint32_t, &gone) ;
    int fd = openat(m->dirfd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (fd == -1) goto err ;
    if (fd_sync(fd) == -1) { fd_close(fd) ; goto err ; }
    fd_close(fd) ;
    if (ul.version)
    {
      mbox_uidrec *r = genalloc_s(mbox_uidrec, &ul.recs) ;
      size_t nr = genalloc_len(mbox_uidrec, &ul.recs), w = 0 ;
      for (size_t i = 0 ; i < nr ; i++)
        if (!in_set(g, ng, r[i].uid)) r[w++] = r[i] ;
      genalloc_setlen(mbox_uidrec, &ul.recs, w) ;
    }
    if (m->priv->ms.present && m->priv->ms.uidvalidity == m->uidvalidity)
    {
      mod = mbox_next_modseq(&m->priv->ms) ;
      for (size_t i = 0 ; i < ng ; i++)
        if (!mbox_modseq_expunge(&m->priv->ms, g[i], mod)) goto err ;
      if (!mbox_modseq_write(m->dirfd, &m->priv->ms)) goto err ;
      mbox_priv_ms_written(m) ;
    }
     /* else the sync below rebuilds posthaste-modseq */
    if (!mbox_lock_release(m->dirfd, lockfd, &ul, ul.version != 0)) { lockfd = -1 ; goto err ; }
  }
  else mbox_unlock(m->dirfd, lockfd) ;
  lockfd = -1 ;
  genalloc_free(uint32_t, &gone) ;
  mbox_uidlist_free(&ul) ;
  m->synced_mtime_cur = 0 ;   /* list again */
  return mbox_sync_internal(m, ch, 0) ;

 err:
  e = errno ;
  if (lockfd >= 0) mbox_unlock(m->dirfd, lockfd) ;
  genalloc_free(uint32_t, &gone) ;
  mbox_uidlist_free(&ul) ;
  errno = e ;
  return 0 ;
}

static int cmp_u32 (void const *a, void const *b)
{
  uint32_t x = *(uint32_t const *)a, y = *(uint32_t const *)b ;
  return x < y ? -1 : x > y ;
}

#define VANISHED_MAX 10000000

int mbox_vanished_since (mbox *m, uint64_t modseq, genalloc *out)
{
  mbox_modseq const *ms ;
  mbox_msrange const *x ;
  size_t nx, total = 0 ;
  out->len = 0 ;
  if (!mbox_priv_load_ms(m)) return 0 ;
  ms = &m->priv->ms ;
  if (!ms->present || ms->uidvalidity != m->uidvalidity || modseq < ms->floor) return 0 ;
  x = genalloc_s(mbox_msrange const, &ms->expunged) ;
  nx = genalloc_len(mbox_msrange, &ms->expunged) ;
  for (size_t i = 0 ; i < nx ; i++)
  {
    if (x[i].modseq <= modseq) continue ;
    total += (size_t)(x[i].last - x[i].first) + 1 ;
    if (total > VANISHED_MAX) { out->len = 0 ; return 0 ; }
    for (uint64_t u = x[i].first ; u <= x[i].last ; u++)
    {
      uint32_t v = (uint32_t)u ;
      if (!genalloc_append(uint32_t, out, &v)) { out->len = 0 ; return 0 ; }
    }
  }
  if (out->len)
  {
    uint32_t *s = genalloc_s(uint32_t, out) ;
    size_t n = genalloc_len(uint32_t, out), w = 0 ;
    qsort(s, n, sizeof(uint32_t), &cmp_u32) ;
    for (size_t i = 0 ; i < n ; i++) if (!w || s[w-1] != s[i]) s[w++] = s[i] ;
    genalloc_setlen(uint32_t, out, w) ;
  }
  return 1 ;
}

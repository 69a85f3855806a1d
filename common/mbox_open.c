/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* Opening a folder: the directory fds, then either the full scan or,
    for STATUS and APPEND/COPY targets (MBOX_OPEN_NOSCAN), only the
    uidlist header and the highest modseq. A folder that never had a
    uidlist gets one (and its UIDVALIDITY) now, under the lock. */

static int header_only (mbox *m)
{
  mbox_uidlist ul = MBOX_UIDLIST_ZERO ;
  int ok = 0 ;
  if (!mbox_uidlist_read(m->dirfd, &ul) && errno != EPROTO) goto end ;
  if (!ul.version)
  {
    int lockfd = mbox_lock(m->dirfd) ;
    if (lockfd < 0) goto end ;
    if (!mbox_uidlist_read(m->dirfd, &ul) && errno != EPROTO) { mbox_unlock(m->dirfd, lockfd) ; goto end ; }
    if (!ul.version)
    {
       /* corrupt or missing: the full scan rebuilds it properly */
      mbox_unlock(m->dirfd, lockfd) ;
      mbox_uidlist_free(&ul) ;
      return mbox_sync_internal(m, 0, 1) ;
    }
    mbox_unlock(m->dirfd, lockfd) ;
  }
  if (!mbox_priv_load_ms(m)) goto end ;
  m->uidvalidity = ul.uidvalidity ;
  m->uidnext = ul.nextuid ;
  m->highestmodseq = m->priv->ms.present && m->priv->ms.uidvalidity == ul.uidvalidity && m->priv->ms.highest ? m->priv->ms.highest : 1 ;
  ok = 1 ;
 end:
  mbox_uidlist_free(&ul) ;
  return ok ;
}

int mbox_open (mbox *m, char const *root, char const *folder, unsigned int flags)
{
  mbox_changes ch = MBOX_CHANGES_ZERO ;
  int e ;
  m->dirfd = -1 ;
  m->priv = 0 ;
  m->msgs.len = 0 ; m->names.len = 0 ; m->keywords.len = 0 ; m->nkeywords = 0 ;
  m->uidvalidity = 0 ; m->uidnext = 1 ; m->highestmodseq = 1 ;
  m->synced_mtime_new = 0 ; m->synced_mtime_cur = 0 ; m->synced_uidlist = 0 ;
  m->readonly = !!(flags & MBOX_OPEN_READONLY) ;
  if (!stralloc_copys(&m->folder, folder) || !stralloc_0(&m->folder)) return 0 ;
  m->rootfd = mbox_open_root(root) ;
  if (m->rootfd < 0) return 0 ;
  m->dirfd = mbox_open_folder(m->rootfd, folder) ;
  if (m->dirfd < 0) goto err ;
  if (!mbox_priv_init(m)) goto err ;
  if (flags & MBOX_OPEN_NOSCAN)
  {
    if (!header_only(m)) goto err ;
  }
  else if (!mbox_sync_internal(m, &ch, 1)) goto err ;
  mbox_changes_free(&ch) ;
  return 1 ;
 err:
  e = errno ;
  mbox_changes_free(&ch) ;
  mbox_close(m) ;
  errno = e ;
  return 0 ;
}

void mbox_close (mbox *m)
{
  if (m->priv) mbox_cache_free(m) ;   /* writes what it learnt: needs dirfd and msgs */
  if (m->dirfd >= 0) fd_close(m->dirfd) ;
  if (m->rootfd >= 0) fd_close(m->rootfd) ;
  m->dirfd = -1 ;
  m->rootfd = -1 ;
  genalloc_free(mbox_msg, &m->msgs) ;
  stralloc_free(&m->names) ;
  stralloc_free(&m->keywords) ;
  stralloc_free(&m->folder) ;
  m->nkeywords = 0 ;
  mbox_priv_free(m) ;
}

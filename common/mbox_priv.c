/* ISC license. */

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* posthaste-modseq is re-read only when its identity (inode, size,
    mtime) differs from what this handle last read or wrote: a STORE
    under the lock then costs an fstat and an append, not a reread. */

int mbox_priv_init (mbox *m)
{
  static mbox_modseq const zero = MBOX_MODSEQ_ZERO ;
  if (m->priv) return 1 ;
  m->priv = malloc(sizeof(struct mbox_priv_s)) ;
  if (!m->priv) return 0 ;
  m->priv->ms = zero ;
  m->priv->msknown = 0 ;
  m->priv->cache = 0 ;
  m->priv->packed = (stralloc)STRALLOC_ZERO ;
  m->priv->ispacked = 0 ;
  return 1 ;
}

void mbox_priv_free (mbox *m)
{
  if (!m->priv) return ;
  mbox_cache_free(m) ;
  stralloc_free(&m->priv->packed) ;
  mbox_modseq_free(&m->priv->ms) ;
  free(m->priv) ;
  m->priv = 0 ;
}

static int same (struct mbox_priv_s const *p, struct stat const *st)
{
  return p->msknown && p->msdev == st->st_dev && p->msino == st->st_ino && p->mssize == st->st_size
    && p->msmtime == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec ;
}

static void remember (struct mbox_priv_s *p, struct stat const *st)
{
  p->msknown = 1 ;
  p->msdev = st->st_dev ;
  p->msino = st->st_ino ;
  p->mssize = st->st_size ;
  p->msmtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec ;
}

int mbox_priv_load_ms (mbox *m)
{
  struct stat st ;
  if (!mbox_priv_init(m)) return 0 ;
  if (fstatat(m->dirfd, MBOX_MODSEQ, &st, AT_SYMLINK_NOFOLLOW) == -1)
  {
    if (errno != ENOENT) return 0 ;
    m->priv->msknown = 0 ;
    return mbox_modseq_read(m->dirfd, &m->priv->ms) ;
  }
  if (same(m->priv, &st) && !m->priv->ms.rewrite && !m->priv->ms.pending.len) return 1 ;
  if (!mbox_modseq_read(m->dirfd, &m->priv->ms)) { m->priv->msknown = 0 ; return 0 ; }
  if (m->priv->ms.present) remember(m->priv, &st) ;
  else m->priv->msknown = 0 ;
  return 1 ;
}

void mbox_priv_ms_written (mbox *m)
{
  struct stat st ;
  if (fstatat(m->dirfd, MBOX_MODSEQ, &st, AT_SYMLINK_NOFOLLOW) == 0) remember(m->priv, &st) ;
  else m->priv->msknown = 0 ;
}

uint64_t mbox_next_modseq (mbox_modseq const *ms)
{
  return ms->highest + 1 ;
}


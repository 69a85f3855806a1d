/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only */
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>

#include "common/mbox-internal.h"

 /* Flag changes are renames inside cur/ (a file still in new/, left by a
    read-only session, goes to cur/ on the way), made under the uidlist
    lock so that the modseq record appended to posthaste-modseq and the
    new name agree. The rename is not fsynced: a crash that loses it
    leaves the modseq record ahead of the name, and the next sync sees
    the difference and gives the message a new modseq, so a client
    never misses the change back. */

 /* Current path of message i: the recorded one, or, when a rename by
    someone else moved it, found again by base name in cur/ then new/.
    The found path is appended to m->names and recorded. 1, 0 (gone), -1. */
static int locate (mbox *m, size_t i)
{
  mbox_msg *x = mbox_at(m, i) ;
  char const *name = m->names.s + x->name ;
  mbox_fname f ;
  size_t off = m->names.len ;
  int r ;
  if (!faccessat(m->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW)) return 1 ;
  if (errno != ENOENT) return -1 ;
  mbox_fname_parse(name + 4, &f) ;
  {
     /* the base is copied: m->names may move while we append */
    char base[f.baselen + 1] ;
    memcpy(base, name + 4, f.baselen) ;
    base[f.baselen] = 0 ;
    r = mbox_find_base(m->dirfd, "cur", base, f.baselen, &m->names) ;
    if (!r) r = mbox_find_base(m->dirfd, "new", base, f.baselen, &m->names) ;
  }
  if (r > 0) mbox_at(m, i)->name = off ;
  return r ;
}

int mbox_store (mbox *m, size_t i, uint32_t flags, uint32_t keywords, uint64_t *modseq)
{
  stralloc to = STRALLOC_ZERO ;
  mbox_fname f ;
  mbox_msg *x ;
  int lockfd, r ;
  uint64_t mod ;
  if (i >= mbox_count(m)) return (errno = EINVAL, 0) ;
  if (m->readonly) return (errno = EROFS, 0) ;
  flags &= MBOX_SEEN | MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DELETED | MBOX_DRAFT ;
  keywords &= (1U << MBOX_KEYWORDS_MAX) - 1 ;
  lockfd = mbox_lock(m->dirfd) ;
  if (lockfd < 0) return 0 ;
  if (!mbox_priv_load_ms(m)) goto err ;
  for (unsigned int tries = 0 ; ; tries++)
  {
    char const *name ;
    r = locate(m, i) ;
    if (r < 0) goto err ;
    if (!r) { errno = ENOENT ; goto err ; }
    x = mbox_at(m, i) ;
    name = m->names.s + x->name ;
    mbox_fname_parse(name + 4, &f) ;
    to.len = 0 ;
    if (!stralloc_cats(&to, "cur/") || !mbox_fname_make(&to, name + 4, f.baselen, flags, keywords, f.letters, f.letterslen)) goto err ;
    if (!strcmp(to.s, name))
    {
       /* nothing changes: no new modseq (RFC 7162 §3.2) */
      mbox_unlock(m->dirfd, lockfd) ;
      stralloc_free(&to) ;
      x->flags = flags ; x->keywords = keywords ;
      if (modseq) *modseq = x->modseq ;
      return 1 ;
    }
    if (renameat(m->dirfd, name, m->dirfd, to.s) == 0) break ;
    if (errno != ENOENT || tries >= 3) goto err ;
  }
  mbox_fname_parse(to.s + 4, &f) ;
  mod = mbox_next_modseq(&m->priv->ms) ;
  if (!m->priv->ms.present || m->priv->ms.uidvalidity != m->uidvalidity)
  {
     /* posthaste-modseq went missing under us: the next sync rebuilds
        it above every modseq given out, this one included */
    if (mod <= m->highestmodseq) mod = m->highestmodseq + 1 ;
    mbox_unlock(m->dirfd, lockfd) ;
    goto done ;
  }
  {
    char letters[256] ;
    size_t n = f.letterslen < sizeof(letters) - 1 ? f.letterslen : sizeof(letters) - 1 ;
    memcpy(letters, f.letters, n) ;
    letters[n] = 0 ;
    if (!mbox_modseq_set(&m->priv->ms, x->uid, mod, letters)) goto err ;
  }
  if (!mbox_modseq_write(m->dirfd, &m->priv->ms)) goto err ;
  mbox_priv_ms_written(m) ;
  mbox_unlock(m->dirfd, lockfd) ;
 done:
  x = mbox_at(m, i) ;
  {
    size_t off = m->names.len ;
    if (stralloc_catb(&m->names, to.s, to.len)) mbox_at(m, i)->name = off ;
  }
  x->flags = flags ;
  x->keywords = keywords ;
  x->modseq = mod ;
  if (mod > m->highestmodseq) m->highestmodseq = mod ;
  if (modseq) *modseq = mod ;
  stralloc_free(&to) ;
  return 1 ;
 err:
  mbox_unlock(m->dirfd, lockfd) ;
  {
    int e = errno ;
    stralloc_free(&to) ;
    errno = e ;
  }
  return 0 ;
}

int mbox_keyword (mbox *m, char const *name, int create)
{
  int k = mbox_keywords_find(m->keywords.s, m->nkeywords, name) ;
  int lockfd ;
  if (k >= 0) return k ;
  if (!mbox_keyword_valid(name)) return (errno = EINVAL, -1) ;
  if (!create) return (errno = ENOENT, -1) ;
  lockfd = mbox_lock(m->dirfd) ;
  if (lockfd < 0) return -1 ;
  k = mbox_keywords_get(m->dirfd, &m->keywords, &m->nkeywords, name, 1) ;
  mbox_unlock(m->dirfd, lockfd) ;
  return k ;
}

/* A message file is a regular file: O_NONBLOCK so that a FIFO put in
 * its place does not block the open, O_NOFOLLOW for a symlink (ELOOP);
 * anything but a regular file is EPROTO, "message unavailable" to the
 * caller, not a hang. */
static int open_regular (int dirfd, char const *name)
{
  struct stat st ;
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
  int e ;
  if (fd == -1) return -1 ;
  if (fstat(fd, &st) == -1) e = errno ;
  else if (!S_ISREG(st.st_mode)) e = EPROTO ;
  else return fd ;
  fd_close(fd) ;
  return (errno = e, -1) ;
}

int mbox_open_msg (mbox *m, size_t i)
{
  int fd ;
  if (i >= mbox_count(m)) return (errno = EINVAL, -1) ;
  fd = open_regular(m->dirfd, mbox_name(m, i)) ;
  if (fd >= 0 || errno != ENOENT) return fd ;
  {
    int r = locate(m, i) ;
    if (r < 0) return -1 ;
    if (!r) return (errno = ENOENT, -1) ;
  }
  return open_regular(m->dirfd, mbox_name(m, i)) ;
}

/* ISC license. */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* An idle session's mailbox: what mbox_idle can drop is read again
    (posthaste-modseq, posthaste-cache) or found again (file names:
    mbox_names_rebuild) when the session works again; the message list
    itself cannot be (its sequence numbers and flags are what the client
    was told), so it is packed: per message, varints of the UID's
    increase, flags with \Recent, keywords, modseq, RFC822.SIZE, size
    on disk and the internal date's change from the previous message. */

static int put (stralloc *sa, uint64_t v)
{
  char b[10] ;
  size_t n = 0 ;
  while (v >= 0x80) { b[n++] = (char)(v | 0x80) ; v >>= 7 ; }
  b[n++] = (char)v ;
  return stralloc_catb(sa, b, n) ;
}

static uint64_t get (char const *s, size_t *pos)
{
  uint64_t v = 0 ;
  for (unsigned int shift = 0 ; shift < 64 ; shift += 7)
  {
    unsigned char c = (unsigned char)s[(*pos)++] ;
    v |= (uint64_t)(c & 0x7f) << shift ;
    if (!(c & 0x80)) break ;
  }
  return v ;
}

static uint64_t zigzag (int64_t v)
{
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63) ;
}

static int64_t unzigzag (uint64_t v)
{
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1) ;
}

void mbox_idle (mbox *m)
{
  static mbox_modseq const zero = MBOX_MODSEQ_ZERO ;
  struct mbox_priv_s *p = m->priv ;
  if (!p || m->dirfd < 0) return ;
  mbox_cache_free(m) ;
   /* nothing waiting to be written: the next user re-reads the file */
  if (!p->ms.pending.len && !p->ms.rewrite)
  {
    mbox_modseq_free(&p->ms) ;
    p->ms = zero ;
    p->msknown = 0 ;
  }
  if (p->ispacked) return ;
  {
    size_t n = mbox_count(m) ;
    uint32_t prevuid = 0 ;
    int64_t prevdate = 0 ;
    p->packed.len = 0 ;
    if (!stralloc_ready(&p->packed, n * 16 + 16) || !put(&p->packed, n)) goto nomem ;
    for (size_t i = 0 ; i < n ; i++)
    {
      mbox_msg const *x = mbox_at(m, i) ;
      if (!put(&p->packed, x->uid - prevuid)
       || !put(&p->packed, (uint64_t)x->flags << 1 | x->recent)
       || !put(&p->packed, x->keywords)
       || !put(&p->packed, x->modseq)
       || !put(&p->packed, x->size)
       || !put(&p->packed, x->fsize)
       || !put(&p->packed, zigzag(x->internaldate - prevdate))) goto nomem ;
      prevuid = x->uid ;
      prevdate = x->internaldate ;
    }
    /* exact size: the packed list is all an idle session keeps */
    {
      stralloc exact = STRALLOC_ZERO ;
      if (!stralloc_copyb(&exact, p->packed.s, p->packed.len)) goto nomem ;
      stralloc_free(&p->packed) ;
      p->packed = exact ;
    }
    genalloc_free(mbox_msg, &m->msgs) ;
    stralloc_free(&m->names) ;
    p->ispacked = 1 ;
    return ;
  }
 nomem:
  /* not packed: the list stays as it is */
  stralloc_free(&p->packed) ;
}

int mbox_resume (mbox *m)
{
  struct mbox_priv_s *p = m->priv ;
  size_t pos = 0, n ;
  uint32_t uid = 0 ;
  int64_t date = 0 ;
  if (!p || !p->ispacked) return 1 ;
  n = get(p->packed.s, &pos) ;
  if (!genalloc_ready(mbox_msg, &m->msgs, n)) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mbox_msg *x = genalloc_s(mbox_msg, &m->msgs) + i ;
    uint64_t fl ;
    uid += (uint32_t)get(p->packed.s, &pos) ;
    x->uid = uid ;
    fl = get(p->packed.s, &pos) ;
    x->flags = (uint32_t)(fl >> 1) ;
    x->recent = fl & 1 ;
    x->keywords = (uint32_t)get(p->packed.s, &pos) ;
    x->modseq = get(p->packed.s, &pos) ;
    x->size = get(p->packed.s, &pos) ;
    x->fsize = get(p->packed.s, &pos) ;
    date += unzigzag(get(p->packed.s, &pos)) ;
    x->internaldate = date ;
    x->name = x->guid = x->pop3uidl = 0 ;
  }
  genalloc_setlen(mbox_msg, &m->msgs, n) ;
  stralloc_free(&p->packed) ;
  p->ispacked = 0 ;
  if (!mbox_names_rebuild(m))
  {
    int e = errno ;
     /* every name "": reads fail as for expunged messages, and the
        next sync lists the folder again */
    if (!stralloc_copyb(&m->names, "", 1))
    {
      genalloc_setlen(mbox_msg, &m->msgs, 0) ;
      errno = e ;
      return 0 ;
    }
    m->synced_mtime_new = m->synced_mtime_cur = m->synced_uidlist = 0 ;
    errno = e ;
    return 0 ;
  }
  return 1 ;
}

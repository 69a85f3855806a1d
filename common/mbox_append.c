/* ISC license. */

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/types.h>
#include <skalibs/uint64.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* APPEND and COPY. Each message is first made durable in tmp/ under a
    unique name (common/maildir_deliver.c's scheme: "<sec>.M<usec>P<pid>
    Q<n>.<host>"): written (LF line ends, as deliverd stores) and fsynced,
    or, for COPY, hard-linked to the source file (copied when the link
    is refused). Then, under the uidlist lock: each is linked into cur/
    as "<base>,S=<octets>,W=<CRLF octets>:2,<flags>", cur/ is fsynced,
    the UIDs are assigned in order and the uidlist rewritten and fsynced
    (the lock's own rename); posthaste-modseq gets their records. Only
    then are the tmp/ names removed. Any failure before the uidlist is
    committed removes every link made: COPY is all or nothing. */

typedef struct item_s item ;
struct item_s
{
  size_t tmp ;          /* offset in names: tmp/ file name */
  size_t base ;         /* offset in names: base name with S= and W= */
  size_t cur ;          /* offset in names: "cur/..." once linked, else 0 */
  uint32_t flags ;
  uint32_t kwsrc ;      /* bits in the source keyword table */
  uint64_t vsize ;
} ;

typedef struct batch_s batch ;
struct batch_s
{
  int rootfd ;
  int dirfd ;
  int tmpfd ;
  stralloc names ;
  genalloc items ;      /* item */
  char const *kwnames ; /* the source keyword table */
  unsigned int nkw ;
} ;

static void batch_cleanup (batch *b)
{
  item const *it = genalloc_s(item const, &b->items) ;
  size_t n = genalloc_len(item, &b->items) ;
  int e = errno ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (it[i].cur) unlinkat(b->dirfd, b->names.s + it[i].cur, 0) ;
    unlinkat(b->tmpfd, b->names.s + it[i].tmp, 0) ;
  }
  errno = e ;
}

static void batch_free (batch *b)
{
  if (b->tmpfd >= 0) fd_close(b->tmpfd) ;
  if (b->dirfd >= 0) fd_close(b->dirfd) ;
  if (b->rootfd >= 0) fd_close(b->rootfd) ;
  stralloc_free(&b->names) ;
  genalloc_free(item, &b->items) ;
}

static int batch_open (batch *b, char const *root, char const *folder)
{
  b->rootfd = mbox_open_root(root) ;
  if (b->rootfd < 0) return 0 ;
  b->dirfd = mbox_open_folder(b->rootfd, folder) ;
  if (b->dirfd < 0) return 0 ;
  b->tmpfd = openat(b->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (b->tmpfd < 0 && errno == ENOENT && mkdirat(b->dirfd, "tmp", 0700) == 0)
    b->tmpfd = openat(b->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  return b->tmpfd >= 0 ;
}

 /* A new item with a fresh unique tmp/ name; *fd open on it (O_EXCL) unless fd is 0. */
static int item_new (batch *b, int *fd)
{
  item it = { .cur = 0 } ;
  for (unsigned int tries = 0 ; tries < 3 ; tries++)
  {
    it.tmp = b->names.len ;
    if (!mbox_unique_base(&b->names)) return 0 ;
    if (!fd) break ;
    *fd = openat(b->tmpfd, b->names.s + it.tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
    if (*fd >= 0) break ;
    if (errno != EEXIST || tries == 2) return 0 ;
  }
  it.base = 0 ;
  return genalloc_append(item, &b->items, &it) ;
}

static int item_sizes (batch *b, uint64_t fsize, uint64_t vsize)
{
  item *it = genalloc_s(item, &b->items) + genalloc_len(item, &b->items) - 1 ;
  char fmt[UINT64_FMT] ;
  size_t tmplen = strlen(b->names.s + it->tmp) ;
  it->base = b->names.len ;
  it->vsize = vsize ;
   /* readyplus first: the copy is from the same buffer */
  return stralloc_readyplus(&b->names, tmplen + 2 * UINT64_FMT + 8)
    && stralloc_catb(&b->names, b->names.s + it->tmp, tmplen)
    && stralloc_catb(&b->names, ",S=", 3) && stralloc_catb(&b->names, fmt, uint64_fmt(fmt, fsize))
    && stralloc_catb(&b->names, ",W=", 3) && stralloc_catb(&b->names, fmt, uint64_fmt(fmt, vsize))
    && stralloc_0(&b->names) ;
}

static int set_mtime (int fd, int64_t t)
{
  struct timespec ts[2] ;
  if (t < 0) return 1 ;
  ts[0].tv_sec = t ; ts[0].tv_nsec = 0 ;
  ts[1] = ts[0] ;
  return futimens(fd, ts) == 0 ;
}

static int commit (batch *b, uint32_t *uidvalidity, uint32_t *uids)
{
  mbox_uidlist ul = MBOX_UIDLIST_ZERO ;
  mbox_modseq ms = MBOX_MODSEQ_ZERO ;
  stralloc kw = STRALLOC_ZERO ;
  unsigned int nkw = 0 ;
  item *it = genalloc_s(item, &b->items) ;
  size_t n = genalloc_len(item, &b->items) ;
  int lockfd = mbox_lock(b->dirfd) ;
  int ok = 0, fresh ;
  if (lockfd < 0) return 0 ;
  if (!mbox_uidlist_read(b->dirfd, &ul))
  {
    if (errno != EPROTO) goto end ;
    ul.version = 0 ; ul.recs.len = 0 ; ul.sa.len = 0 ; ul.nextuid = 1 ; ul.hdrext = 0 ;
    if (!stralloc_0(&ul.sa)) goto end ;
  }
  fresh = !ul.version ;
  if (fresh) mbox_uidlist_init(&ul, b->rootfd) ;
  if (!mbox_keywords_read(b->dirfd, &kw, &nkw)) goto end ;
  if (!mbox_modseq_read(b->dirfd, &ms)) goto end ;
  if (fresh && !(ms.present && ms.uidvalidity == ul.uidvalidity))
  {
     /* a folder numbered for the first time (APPEND or COPY into a
        folder never opened): its modseq state starts here too, at 1,
        as a first sync would start it. Left missing, the sync would
        take the folder for one served before that lost
        posthaste-modseq, and start above any modseq a client may hold. */
    ms.recs.len = 0 ; ms.expunged.len = 0 ; ms.sa.len = 0 ; ms.pending.len = 0 ;
    ms.xwritten = 0 ;
    ms.uidvalidity = ul.uidvalidity ;
    ms.highest = 0 ;
    ms.floor = 1 ;
    ms.rewrite = 1 ;
    ms.present = 1 ;
  }
  for (size_t i = 0 ; i < n ; i++)
  {
    uint32_t bits ;
    size_t baselen = strlen(b->names.s + it[i].base) ;
    size_t off ;
    if (!mbox_keywords_map(b->dirfd, &kw, &nkw, b->kwnames, b->nkw, it[i].kwsrc, &bits)) goto end ;
     /* room first: the base is copied from the same buffer */
    if (!stralloc_readyplus(&b->names, baselen + 80)) goto end ;
    off = b->names.len ;
    if (!stralloc_catb(&b->names, "cur/", 4) || !mbox_fname_make(&b->names, b->names.s + it[i].base, baselen, it[i].flags, bits, "", 0)) goto end ;
    if (linkat(b->tmpfd, b->names.s + it[i].tmp, b->dirfd, b->names.s + off, 0) == -1) goto end ;
    it[i].cur = off ;
  }
  {
    int fd = openat(b->dirfd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (fd == -1) goto end ;
    if (fd_sync(fd) == -1) { fd_close(fd) ; goto end ; }
    fd_close(fd) ;
  }
  {
    int msok = ms.present && ms.uidvalidity == ul.uidvalidity ;
    uint64_t mod = mbox_next_modseq(&ms) ;
    for (size_t i = 0 ; i < n ; i++)
    {
      char const *file = b->names.s + it[i].cur + 4 ;
      mbox_fname f ;
      uint32_t uid = ul.nextuid ;
      if (uid == UINT32_MAX) { errno = EOVERFLOW ; goto end ; }
      mbox_fname_parse(file, &f) ;
      if (!mbox_uidlist_add(&ul, uid, file, f.baselen, it[i].vsize)) goto end ;
      uids[i] = uid ;
      if (msok)
      {
        char letters[64] ;
        size_t l = f.letterslen < 63 ? f.letterslen : 63 ;
        memcpy(letters, f.letters, l) ; letters[l] = 0 ;
        if (!mbox_modseq_set(&ms, uid, mod, letters)) goto end ;
      }
    }
     /* posthaste-modseq first: if the uidlist commit then fails, the
        records name UIDs nobody has, which the next sync turns into
        expunges; the other way round would lose modseqs */
    if (msok && !mbox_modseq_write(b->dirfd, &ms)) goto end ;
  }
  *uidvalidity = ul.uidvalidity ;
  ok = mbox_lock_release(b->dirfd, lockfd, &ul, 1) ;
  lockfd = -1 ;
 end:
  if (lockfd >= 0) mbox_unlock(b->dirfd, lockfd) ;
  if (!ok) batch_cleanup(b) ;
  else
    for (size_t i = 0 ; i < n ; i++) unlinkat(b->tmpfd, b->names.s + it[i].tmp, 0) ;
  {
    int e = errno ;
    mbox_uidlist_free(&ul) ;
    mbox_modseq_free(&ms) ;
    stralloc_free(&kw) ;
    errno = e ;
  }
  return ok ;
}

 /* data in LF or CRLF form is stored with LF; returns the sizes */
static int write_lf (int fd, char const *data, size_t len, uint64_t *fsize, uint64_t *vsize)
{
  size_t start = 0 ;
  uint64_t written = 0, lfs = 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    if (data[i] == '\n') lfs++ ;
    if (data[i] == '\r' && i + 1 < len && data[i+1] == '\n')
    {
      if (allwrite(fd, data + start, i - start) < i - start) return 0 ;
      written += i - start ;
      start = i + 1 ;
    }
  }
  if (allwrite(fd, data + start, len - start) < len - start) return 0 ;
  written += len - start ;
  *fsize = written ;
  *vsize = written + lfs ;
  return 1 ;
}

int mbox_append (char const *root, char const *folder, char const *data, size_t len, uint32_t flags, char const *kw, unsigned int nkw, int64_t internaldate, uint32_t *uidvalidity, uint32_t *uid)
{
  batch b = { .rootfd = -1, .dirfd = -1, .tmpfd = -1, .names = STRALLOC_ZERO, .items = GENALLOC_ZERO, .kwnames = kw, .nkw = nkw } ;
  uint64_t fsize, vsize ;
  int fd = -1, ok = 0 ;
  if (nkw > MBOX_KEYWORDS_MAX) return (errno = ENOSPC, 0) ;
  {
    char const *p = kw ;
    for (unsigned int k = 0 ; k < nkw ; k++)
    {
      if (!mbox_keyword_valid(p)) return (errno = EINVAL, 0) ;
      p += strlen(p) + 1 ;
    }
  }
  if (!batch_open(&b, root, folder)) goto end ;
  if (!item_new(&b, &fd)) goto end ;
  genalloc_s(item, &b.items)[0].flags = flags & (MBOX_SEEN | MBOX_ANSWERED | MBOX_FLAGGED | MBOX_DELETED | MBOX_DRAFT) ;
  genalloc_s(item, &b.items)[0].kwsrc = nkw ? (uint32_t)((1ULL << nkw) - 1) : 0 ;
  if (!write_lf(fd, data, len, &fsize, &vsize)
   || !set_mtime(fd, internaldate)
   || fd_sync(fd) == -1) goto errfile ;
  if (close(fd) == -1) { fd = -1 ; goto errfile ; }
  fd = -1 ;
  if (!item_sizes(&b, fsize, vsize)) goto errfile ;
  ok = commit(&b, uidvalidity, uid) ;
  goto end ;
 errfile:
  if (fd >= 0) fd_close(fd) ;
  batch_cleanup(&b) ;
 end:
  {
    int e = errno ;
    batch_free(&b) ;
    errno = e ;
  }
  return ok ;
}

 /* One source message into tmp/: a hard link, or a copy when the
    filesystem refuses links (EXDEV, EPERM, EMLINK). */
static int copy_one (batch *b, mbox *src, size_t i)
{
  mbox_msg const *x = mbox_at(src, i) ;
  item *it ;
  int fd = -1, in ;
  if (!item_new(b, 0)) return 0 ;
  it = genalloc_s(item, &b->items) + genalloc_len(item, &b->items) - 1 ;
  it->flags = x->flags ;
  it->kwsrc = x->keywords ;
  in = mbox_open_msg(src, i) ;   /* also finds a renamed file again */
  if (in < 0) return 0 ;
  if (linkat(src->dirfd, mbox_name(src, i), b->tmpfd, b->names.s + it->tmp, 0) == 0)
  {
    struct stat st1, st2 ;
     /* the name may have been renamed and reused meanwhile: the link
        must be to the file we opened */
    if (fstat(in, &st1) == 0 && fstatat(b->tmpfd, b->names.s + it->tmp, &st2, AT_SYMLINK_NOFOLLOW) == 0
     && st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev)
    {
      fd_close(in) ;
      return item_sizes(b, x->fsize, x->size) ;
    }
    unlinkat(b->tmpfd, b->names.s + it->tmp, 0) ;
  }
  else if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOENT) { fd_close(in) ; return 0 ; }
  fd = openat(b->tmpfd, b->names.s + it->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0) { fd_close(in) ; return 0 ; }
  {
    char buf[65536] ;
    uint64_t total = 0 ;
    for (;;)
    {
      ssize_t r = fd_read(in, buf, sizeof(buf)) ;
      if (r < 0) goto err ;
      if (!r) break ;
      if (allwrite(fd, buf, r) < (size_t)r) goto err ;
      total += r ;
    }
    if (!set_mtime(fd, x->internaldate) || fd_sync(fd) == -1) goto err ;
    fd_close(in) ;
    in = -1 ;
    if (close(fd) == -1) { fd = -1 ; goto err ; }
    return item_sizes(b, total, x->size) ;
  }
 err:
  {
    int e = errno ;
    if (fd >= 0) fd_close(fd) ;
    if (in >= 0) fd_close(in) ;
    errno = e ;
  }
  return 0 ;
}

int mbox_copy (mbox *src, size_t const *idx, size_t n, char const *root, char const *folder, uint32_t *uidvalidity, uint32_t *newuids)
{
  batch b = { .rootfd = -1, .dirfd = -1, .tmpfd = -1, .names = STRALLOC_ZERO, .items = GENALLOC_ZERO, .kwnames = src->keywords.s, .nkw = src->nkeywords } ;
  int ok = 0 ;
  if (!batch_open(&b, root, folder)) goto end ;
  for (size_t i = 0 ; i < n ; i++)
  {
    if (idx[i] >= mbox_count(src)) { errno = EINVAL ; batch_cleanup(&b) ; goto end ; }
    if (!copy_one(&b, src, idx[i])) { batch_cleanup(&b) ; goto end ; }
  }
  b.kwnames = src->keywords.s ;   /* mbox_open_msg may not touch it, but be exact */
  if (!n)
  {
    mbox dst = MBOX_ZERO ;
    if (!mbox_open(&dst, root, folder, MBOX_OPEN_NOSCAN)) goto end ;
    *uidvalidity = dst.uidvalidity ;
    mbox_close(&dst) ;
    ok = 1 ;
    goto end ;
  }
  ok = commit(&b, uidvalidity, newuids) ;
 end:
  {
    int e = errno ;
    batch_free(&b) ;
    errno = e ;
  }
  return ok ;
}

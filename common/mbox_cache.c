/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>   /* renameat() only */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <skalibs/uint32.h>
#include <skalibs/types.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/mbox-internal.h"

 /* posthaste-cache (docs/mailstore.md): the top-level header block of
    each message, so that SEARCH on header fields, FETCH of header
    fields, SORT and THREAD read one file instead of one per message.
    It is a cache: losing it, or any record of it, costs only the reads
    it saves, so appends are not fsynced and need no lock (each record
    is one O_APPEND write, and carries a checksum: a torn or interleaved
    record is never believed). A record is valid for a message when the
    UID and the base name (the file name up to ':', which never changes:
    Maildir message files are immutable) both match.

    The file is mapped for the length of one command (mbox_cache_release
    unmaps it before the session waits), so an idle session holds none
    of it. */

#define CACHE_MAGIC "PHCACHE1"
#define CACHE_MAGIC_LEN 8
#define REC_MAGIC 0x52434850u      /* "PHCR" little-endian */
#define REC_HDR 20                 /* magic, uid, baselen, hdrlen, check */
#define BASE_MAX 1024
#define PENDING_FLUSH 65536

static void rewrite (mbox *, struct mbox_cache_s *) ;
static void append_pending (mbox *, struct mbox_cache_s *) ;

struct mbox_cache_s
{
  char *map ;              /* the file, mapped (0: not mapped) */
  dev_t dev ;              /* the file whose records up to verified */
  ino_t ino ;              /*   have had their check verified: appends */
  size_t verified ;        /*   never change what is before them */
  size_t maplen ;
  int scanned ;            /* idx is built for the mapping */
  genalloc idx ;           /* mbox_cacheent, ascending uid */
  size_t dead ;            /* records superseded, of gone messages, or broken */
  int broken ;             /* a record did not parse: rewrite */
  stralloc pending ;       /* records to append */
  genalloc puids ;         /* uint32_t: their UIDs, so a header read twice in a command is added once */
  stralloc scratch ;       /* the header last read from a message file */
  uint32_t scratch_uid ;   /* its UID (0: none) */
} ;

typedef struct mbox_cacheent_s mbox_cacheent ;
struct mbox_cacheent_s
{
  uint32_t uid ;
  size_t off ;
} ;

/* The record check: a multiply-xorshift hash over 8-byte words (in the
 * host's byte order: a file carried to a machine of the other order
 * just fails its checks and is rebuilt). Fast enough to run over the
 * whole file once per session. */
static uint64_t mix (char const *s, size_t len, uint64_t h)
{
  while (len >= 8)
  {
    uint64_t w ;
    memcpy(&w, s, 8) ;
    h = (h ^ w) * 0x9e3779b97f4a7c15ull ;
    h ^= h >> 29 ;
    s += 8 ; len -= 8 ;
  }
  while (len--) h = (h ^ (unsigned char)*s++) * 0x100000001b3ull ;
  return h ;
}

static uint32_t rec_check (uint32_t uid, char const *base, size_t baselen, char const *h, size_t hlen)
{
  uint64_t x = mix(h, hlen, mix(base, baselen, 0xcbf29ce484222325ull ^ uid)) ;
  return (uint32_t)(x ^ (x >> 32)) ;
}

static int ent_cmp (void const *a, void const *b)
{
  mbox_cacheent const *x = a ;
  mbox_cacheent const *y = b ;
  if (x->uid != y->uid) return x->uid < y->uid ? -1 : 1 ;
  return x->off < y->off ? -1 : x->off > y->off ;
}

static struct mbox_cache_s *cache_get (mbox *m)
{
  if (!mbox_priv_init(m)) return 0 ;
  if (!m->priv->cache)
  {
    struct mbox_cache_s *c = malloc(sizeof(struct mbox_cache_s)) ;
    if (!c) return 0 ;
    c->map = 0 ; c->maplen = 0 ; c->scanned = 0 ;
    c->dev = 0 ; c->ino = 0 ; c->verified = 0 ;
    c->idx = (genalloc)GENALLOC_ZERO ;
    c->dead = 0 ; c->broken = 0 ;
    c->pending = (stralloc)STRALLOC_ZERO ;
    c->puids = (genalloc)GENALLOC_ZERO ;
    c->scratch = (stralloc)STRALLOC_ZERO ;
    c->scratch_uid = 0 ;
    m->priv->cache = c ;
  }
  return m->priv->cache ;
}

static void unmap (struct mbox_cache_s *c)
{
  if (c->map) munmap(c->map, c->maplen) ;
  c->map = 0 ;
  c->maplen = 0 ;
  c->scanned = 0 ;
  c->dead = 0 ;
  c->broken = 0 ;
  genalloc_free(mbox_cacheent, &c->idx) ;
}

/* Parses the record at off of the mapping: 1 with its parts, 0 if it
 * runs past the end of the mapping, -1 if it does not look like a
 * record (the checksum is checked only when the record is used). */
static int rec_at (struct mbox_cache_s const *c, size_t off, uint32_t *uid, size_t *baselen, size_t *hlen, uint32_t *check)
{
  uint32_t magic, bl, hl ;
  if (c->maplen - off < REC_HDR)
    return c->maplen - off < 4 || !memcmp(c->map + off, "PHCR", c->maplen - off < 4 ? c->maplen - off : 4) ? 0 : -1 ;
  uint32_unpack(c->map + off, &magic) ;
  uint32_unpack(c->map + off + 4, uid) ;
  uint32_unpack(c->map + off + 8, &bl) ;
  uint32_unpack(c->map + off + 12, &hl) ;
  uint32_unpack(c->map + off + 16, check) ;
  if (magic != REC_MAGIC || !*uid || !bl || bl > BASE_MAX || hl > MBOX_CACHE_HEADER_MAX) return -1 ;
  if (c->maplen - off - REC_HDR < (size_t)bl + hl) return 0 ;
  *baselen = bl ;
  *hlen = hl ;
  return 1 ;
}

/* Maps the file and indexes its records (later records win). A missing,
 * empty or foreign file is an empty cache. */
static int load (mbox *m, struct mbox_cache_s *c)
{
  struct stat st ;
  int fd ;
  size_t off ;
  if (c->scanned) return 1 ;
  unmap(c) ;
  c->scanned = 1 ;
  fd = openat(m->dirfd, MBOX_CACHE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd < 0) return errno == ENOENT ? 1 : (c->scanned = 0, 0) ;
  if (fstat(fd, &st) < 0) { fd_close(fd) ; c->scanned = 0 ; return 0 ; }
  if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size <= CACHE_MAGIC_LEN || (uint64_t)st.st_size > MBOX_CACHE_FILE_MAX)
  {
    fd_close(fd) ;
    if (st.st_size) c->broken = 1 ;
    return 1 ;
  }
  c->map = mmap(0, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0) ;
  fd_close(fd) ;
  if (c->map == MAP_FAILED) { c->map = 0 ; c->scanned = 0 ; return 0 ; }
  c->maplen = (size_t)st.st_size ;
  if (memcmp(c->map, CACHE_MAGIC, CACHE_MAGIC_LEN)) { c->broken = 1 ; return 1 ; }
  if (c->dev != st.st_dev || c->ino != st.st_ino || c->verified > c->maplen)
  {
    c->dev = st.st_dev ;
    c->ino = st.st_ino ;
    c->verified = CACHE_MAGIC_LEN ;
  }
  off = CACHE_MAGIC_LEN ;
  while (off < c->maplen)
  {
    mbox_cacheent e ;
    uint32_t check ;
    size_t bl, hl ;
    int r = rec_at(c, off, &e.uid, &bl, &hl, &check) ;
    if (r <= 0)
    {
      /* past the end: a record being appended right now (or torn by a
       * crash, which the next append will make a bad one). Not a
       * record: nothing after it can be trusted to start at a record
       * boundary; the file is rewritten. */
      if (r < 0) c->broken = 1 ;
      break ;
    }
    if (off >= c->verified)
    {
      char const *rb = c->map + off + REC_HDR ;
      if (rec_check(e.uid, rb, bl, rb + bl, hl) != check)
      {
        /* torn by a crash and overwritten by a later append: neither
         * it nor what follows is believed */
        c->broken = 1 ;
        break ;
      }
      c->verified = off + REC_HDR + bl + hl ;
    }
    e.off = off ;
    if (!genalloc_append(mbox_cacheent, &c->idx, &e)) { unmap(c) ; return 0 ; }
    off += REC_HDR + bl + hl ;
  }
  {
    mbox_cacheent *v = genalloc_s(mbox_cacheent, &c->idx) ;
    size_t n = genalloc_len(mbox_cacheent, &c->idx), w = 0 ;
    if (n) qsort(v, n, sizeof(mbox_cacheent), &ent_cmp) ;
    /* keep the last record of each UID */
    for (size_t k = 0 ; k < n ; k++)
    {
      if (k + 1 < n && v[k+1].uid == v[k].uid) { c->dead++ ; continue ; }
      v[w++] = v[k] ;
    }
    genalloc_setlen(mbox_cacheent, &c->idx, w) ;
  }
  return 1 ;
}

static mbox_cacheent const *find (struct mbox_cache_s const *c, uint32_t uid)
{
  mbox_cacheent const *v = genalloc_s(mbox_cacheent, &c->idx) ;
  size_t lo = 0, hi = genalloc_len(mbox_cacheent, &c->idx) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    if (v[mid].uid == uid) return v + mid ;
    if (v[mid].uid < uid) lo = mid + 1 ; else hi = mid ;
  }
  return 0 ;
}

/* the base name of message i: its file name after "cur/" or "new/", up to ':' */
static void base_of (mbox *m, size_t i, char const **base, size_t *len)
{
  char const *name = mbox_name(m, i) ;
  char const *slash = strchr(name, '/') ;
  char const *b = slash ? slash + 1 : name ;
  char const *colon = strchr(b, ':') ;
  *base = b ;
  *len = colon ? (size_t)(colon - b) : strlen(b) ;
}

/* Appends buf[0..n) to sa with bare LFs made CRLF; *lastcr carries
 * "the previous byte was CR" across chunks. */
static int cat_crlf (stralloc *sa, char const *buf, size_t n, int *lastcr)
{
  size_t start = 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    int prevcr = i ? buf[i-1] == '\r' : *lastcr ;
    if (buf[i] == '\n' && !prevcr)
    {
      if (!stralloc_catb(sa, buf + start, i - start) || !stralloc_catb(sa, "\r", 1)) return 0 ;
      start = i ;
    }
  }
  if (n) *lastcr = buf[n-1] == '\r' ;
  return stralloc_catb(sa, buf + start, n - start) ;
}

/* End of the header block in s[from..len): the offset just after the
 * empty line ending it, or 0 when it is not there yet. *line is where
 * the line being examined starts (kept across calls). */
static size_t header_end (char const *s, size_t len, size_t *line)
{
  size_t pos = *line ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    if (!nl) break ;
    if (s[pos] == '\n' || (s[pos] == '\r' && s + pos + 1 == nl)) return (size_t)(nl - s) + 1 ;
    pos = (size_t)(nl - s) + 1 ;
  }
  *line = pos ;
  return 0 ;
}

/* Reads the header block of message i from its file into sa (CRLF
 * line ends, up to and including the empty line, or the whole file when
 * there is none). E2BIG: longer than MBOX_HEADER_MAX. */
static int read_header (mbox *m, size_t i, stralloc *sa)
{
  char buf[8192] ;
  size_t line = 0 ;
  int lastcr = 0 ;
  int fd = mbox_open_msg(m, i) ;
  if (fd < 0) return 0 ;
  sa->len = 0 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf, sizeof(buf)) ;
    size_t end ;
    if (r < 0) goto err ;
    if (!r) break ;
    if (!cat_crlf(sa, buf, (size_t)r, &lastcr)) goto err ;
    end = header_end(sa->s, sa->len, &line) ;
    if (end) { sa->len = end ; break ; }
    if (sa->len > MBOX_HEADER_MAX) { errno = E2BIG ; goto err ; }
  }
  fd_close(fd) ;
  return 1 ;
 err:
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
  }
  return 0 ;
}

static int add_pending (struct mbox_cache_s *c, uint32_t uid, char const *base, size_t baselen, char const *h, size_t hlen)
{
  char rec[REC_HDR] ;
  uint32_t const *pu = genalloc_s(uint32_t, &c->puids) ;
  size_t npu = genalloc_len(uint32_t, &c->puids) ;
  if (baselen > BASE_MAX || hlen > MBOX_CACHE_HEADER_MAX) return 1 ;
  /* commands walk messages in UID order: a UID not above the last one
   * added is looked for (rare: a key asked twice, a second pass) */
  if (npu && uid <= pu[npu-1])
    for (size_t k = 0 ; k < npu ; k++) if (pu[k] == uid) return 1 ;
  if (!genalloc_append(uint32_t, &c->puids, &uid)) return 0 ;
  if ((uint64_t)c->maplen + c->pending.len + REC_HDR + baselen + hlen > MBOX_CACHE_FILE_MAX) return 1 ;
  uint32_pack(rec, REC_MAGIC) ;
  uint32_pack(rec + 4, uid) ;
  uint32_pack(rec + 8, (uint32_t)baselen) ;
  uint32_pack(rec + 12, (uint32_t)hlen) ;
  uint32_pack(rec + 16, rec_check(uid, base, baselen, h, hlen)) ;
  return stralloc_catb(&c->pending, rec, REC_HDR) && stralloc_catb(&c->pending, base, baselen) && stralloc_catb(&c->pending, h, hlen) ;
}

int mbox_header (mbox *m, size_t i, char const **h, size_t *hlen)
{
  struct mbox_cache_s *c = cache_get(m) ;
  mbox_msg const *msg ;
  char const *base ;
  size_t baselen ;
  if (!c) return 0 ;
  if (i >= mbox_count(m)) return (errno = EINVAL, 0) ;
  msg = mbox_at(m, i) ;
  base_of(m, i, &base, &baselen) ;
  if (c->scratch_uid == msg->uid)
  {
    *h = c->scratch.s ; *hlen = c->scratch.len ;
    return 1 ;
  }
  if (load(m, c))
  {
    mbox_cacheent const *e = find(c, msg->uid) ;
    if (e)
    {
      uint32_t uid, check ;
      size_t bl, hl ;
      if (rec_at(c, e->off, &uid, &bl, &hl, &check) > 0)
      {
        char const *rb = c->map + e->off + REC_HDR ;
        if (bl == baselen && !memcmp(rb, base, bl))   /* the check was verified by load() */
        {
          *h = rb + bl ; *hlen = hl ;
          return 1 ;
        }
      }
      c->dead++ ;
    }
  }
  /* not cached (or the cache cannot be read): the file itself */
  c->scratch_uid = 0 ;
  if (!read_header(m, i, &c->scratch)) return 0 ;
  c->scratch_uid = msg->uid ;
  if (!add_pending(c, msg->uid, base, baselen, c->scratch.s ? c->scratch.s : "", c->scratch.len)) return 0 ;
  *h = c->scratch.s ? c->scratch.s : "" ;
  *hlen = c->scratch.len ;
  if (c->pending.len >= PENDING_FLUSH) append_pending(m, c) ;
  return 1 ;
}

/* Rewrites the file with the live records of the mapping plus the
 * pending ones: through a unique temporary name and a rename, so a
 * reader always maps a whole file. Not fsynced: a cache. */
static void rewrite (mbox *m, struct mbox_cache_s *c)
{
  stralloc sa = STRALLOC_ZERO ;
  stralloc tmp = STRALLOC_ZERO ;
  size_t n = mbox_count(m) ;
  char fmt[UINT32_FMT] ;
  int fd ;
  if (!stralloc_catb(&sa, CACHE_MAGIC, CACHE_MAGIC_LEN)) goto end ;
  for (size_t i = 0 ; i < n && c->map ; i++)
  {
    mbox_cacheent const *e = find(c, mbox_at(m, i)->uid) ;
    uint32_t uid, check ;
    size_t bl, hl ;
    char const *base ;
    size_t baselen ;
    if (!e || rec_at(c, e->off, &uid, &bl, &hl, &check) <= 0) continue ;
    base_of(m, i, &base, &baselen) ;
    {
      char const *rb = c->map + e->off + REC_HDR ;
      if (bl != baselen || memcmp(rb, base, bl)) continue ;
    }
    if (!stralloc_catb(&sa, c->map + e->off, REC_HDR + bl + hl)) goto end ;
  }
  if (!stralloc_cat(&sa, &c->pending)) goto end ;
  if (!stralloc_cats(&tmp, MBOX_CACHE ".tmp.") || !stralloc_catb(&tmp, fmt, uint32_fmt(fmt, (uint32_t)getpid())) || !stralloc_0(&tmp)) goto end ;
  fd = openat(m->dirfd, tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0) goto end ;
  if (allwrite(fd, sa.s, sa.len) < sa.len) { fd_close(fd) ; unlinkat(m->dirfd, tmp.s, 0) ; goto end ; }
  fd_close(fd) ;
  if (renameat(m->dirfd, tmp.s, m->dirfd, MBOX_CACHE) < 0) unlinkat(m->dirfd, tmp.s, 0) ;
 end:
  stralloc_free(&sa) ;
  stralloc_free(&tmp) ;
}

/* Appends the pending records (one write: O_APPEND keeps it whole
 * beside other sessions' appends); a missing file is made whole by a
 * rewrite. */
static void append_pending (mbox *m, struct mbox_cache_s *c)
{
  int fd ;
  if (!c->pending.len) return ;
  fd = openat(m->dirfd, MBOX_CACHE, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd >= 0)
  {
    allwrite(fd, c->pending.s, c->pending.len) ;
    fd_close(fd) ;
  }
  else if (errno == ENOENT) rewrite(m, c) ;
  c->pending.len = 0 ;
}

/* How many indexed records belong to a message still in the folder
 * (msgs are in UID order). */
static size_t live_records (mbox *m, struct mbox_cache_s const *c)
{
  mbox_cacheent const *v = genalloc_s(mbox_cacheent, &c->idx) ;
  size_t k = genalloc_len(mbox_cacheent, &c->idx), n = mbox_count(m), live = 0 ;
  for (size_t j = 0 ; j < k ; j++)
  {
    size_t lo = 0, hi = n ;
    while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2 ;
      if (mbox_at(m, mid)->uid < v[j].uid) lo = mid + 1 ; else hi = mid ;
    }
    if (lo < n && mbox_at(m, lo)->uid == v[j].uid) live++ ;
  }
  return live ;
}

void mbox_cache_flush (mbox *m)
{
  struct mbox_cache_s *c = m->priv ? m->priv->cache : 0 ;
  if (!c || m->dirfd < 0) return ;
  if (c->scanned)
  {
    size_t live = live_records(m, c) ;
    c->dead += genalloc_len(mbox_cacheent, &c->idx) - live ;
    /* compaction: more dead records than live ones (plus slack), or a
     * record that does not parse */
    if (c->broken || c->dead > live + 256) { rewrite(m, c) ; c->pending.len = 0 ; }
  }
  append_pending(m, c) ;
  genalloc_setlen(uint32_t, &c->puids, 0) ;
  /* the next command maps the file again: others may have added to it */
  unmap(c) ;
}

void mbox_cache_release (mbox *m)
{
  struct mbox_cache_s *c = m->priv ? m->priv->cache : 0 ;
  if (!c) return ;
  mbox_cache_flush(m) ;
  stralloc_free(&c->pending) ;
  genalloc_free(uint32_t, &c->puids) ;
  stralloc_free(&c->scratch) ;
  c->scratch_uid = 0 ;
}

void mbox_cache_free (mbox *m)
{
  struct mbox_cache_s *c = m->priv ? m->priv->cache : 0 ;
  if (!c) return ;
  mbox_cache_release(m) ;
  free(c) ;
  m->priv->cache = 0 ;
}

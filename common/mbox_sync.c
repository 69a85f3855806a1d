/* ISC license. */

#include <errno.h>
#include <stdio.h>   /* renameat() only */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/genalloc.h>

#include "common/log.h"
#include "common/mbox-internal.h"

 /* The folder scan (docs/mailstore.md, "Sync"). Read dovecot-uidlist,
    dovecot-keywords and posthaste-modseq, list new/ then cur/ (a file
    moved from new/ to cur/ meanwhile is seen in cur/), and match files
    to UIDs by base name. If anything must be written (files without a
    UID, records whose file is gone, flags changed by someone else, a
    size to remember, new/ files to move), take the uidlist lock, read
    and list everything again under it, and only then decide: the lock
    is what makes a UID assignment or an expunge the only one. A record
    whose file seems gone is checked by one more listing under the lock
    before it counts as expunged (a rename by Dovecot, which renames
    without our lock, can hide a file from one readdir). */

typedef struct ent_s ent ;
struct ent_s
{
  size_t name ;       /* offset in the scan's names: "cur/<file>" or "new/<file>" */
  size_t baselen ;    /* of the file name after "cur/" */
  uint32_t uid ;
  size_t rec ;        /* index in the uidlist when uid != 0 */
  int innew ;
} ;

typedef struct scan_s scan ;
struct scan_s
{
  stralloc names ;
  genalloc ents ;     /* ent */
} ;

static int pop3uidl_cat (stralloc *, char const *) ;

static char const *sort_names ;

static int cmp_base (void const *a, void const *b)
{
  ent const *x = a, *y = b ;
  char const *p = sort_names + x->name + 4, *q = sort_names + y->name + 4 ;
  size_t l = x->baselen < y->baselen ? x->baselen : y->baselen ;
  int c = memcmp(p, q, l) ;
  if (c) return c ;
  if (x->baselen != y->baselen) return x->baselen < y->baselen ? -1 : 1 ;
  return x->innew - y->innew ;   /* cur/ first: it wins over a new/ twin */
}

static int cmp_uid (void const *a, void const *b)
{
  ent const *x = a, *y = b ;
  return x->uid < y->uid ? -1 : x->uid > y->uid ;
}

 /* Dovecot gives new files their UIDs in the order of the time in their
    names (maildir_filename_sort_cmp): the leading seconds, then the
    microseconds of an "M<usec>" in the unique part when both names have
    one, then the base names. */
static char const *time_key (char const *s, uint64_t *sec)
{
  uint64_t v = 0 ;
  while (*s >= '0' && *s <= '9') { if (v < UINT64_MAX / 10) v = v * 10 + (*s - '0') ; s++ ; }
  *sec = v ;
  return s ;
}

static int usecs (char const *s, uint64_t *u)
{
  if (*s++ != '.') return 0 ;
  for (; *s && *s != '.' && *s != ':' ; s++)
    if (*s == 'M')
    {
      uint64_t v = 0 ;
      for (s++ ; *s >= '0' && *s <= '9' ; s++) if (v < UINT64_MAX / 10) v = v * 10 + (*s - '0') ;
      *u = v ;
      return 1 ;
    }
  return 0 ;
}

static int cmp_time (void const *a, void const *b)
{
  ent const *x = a, *y = b ;
  char const *p = sort_names + x->name + 4, *q = sort_names + y->name + 4 ;
  uint64_t s1, s2, u1, u2 ;
  p = time_key(p, &s1) ;
  q = time_key(q, &s2) ;
  if (s1 != s2) return s1 < s2 ? -1 : 1 ;
  if (usecs(p, &u1) && usecs(q, &u2) && u1 != u2) return u1 < u2 ? -1 : 1 ;
  for (; *p == *q && *p && *p != ':' ; p++, q++) ;
  if ((!*p || *p == ':') && (!*q || *q == ':')) return 0 ;
  return (unsigned char)*p - (unsigned char)*q ;
}

/* A name the dovecot-uidlist line format cannot hold ("<uid> <ext>
 * :<base name>\n", one record per line): control bytes and DEL. */
static int name_ok (char const *s)
{
  for (; *s ; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 0 ;
  return 1 ;
}

/* Only regular files are messages. A FIFO would block the open(2) that
 * counts its size while we hold the uidlist lock; a symlink is refused
 * by O_NOFOLLOW (it may point anywhere); a device or a directory is no
 * message either. Such an entry is left alone and skipped, so the rest
 * of the folder stays usable. */
static int entry_regular (int fd, struct dirent const *d)
{
  struct stat st ;
  if (d->d_type == DT_REG) return 1 ;
  if (d->d_type != DT_UNKNOWN) return 0 ;
  if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) return 0 ;
  return S_ISREG(st.st_mode) ;
}

/* Skipped entries are logged once per listing of a directory (a session
 * lists often; the log must not fill up). */
static void skip_log (char const *sub, char const *name, char const *why, unsigned int *logged)
{
  if (*logged) return ;
  *logged = 1 ;
  log_event3("maildir_skipped", "dir", sub, "name", name, "reason", why) ;
}

static int list_dir (int dirfd, char const *sub, scan *sc)
{
  DIR *dir ;
  size_t count = 0 ;
  unsigned int logged = 0 ;
  int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) ;
  if (fd == -1) return 0 ;
  dir = fdopendir(fd) ;
  if (!dir) { fd_close(fd) ; return 0 ; }
  for (;;)
  {
    struct dirent *d ;
    ent e ;
    size_t len ;
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (d->d_name[0] == '.') continue ;
    if (++count > MBOX_SCAN_MAX) { errno = EFBIG ; break ; }
    if (!name_ok(d->d_name)) { skip_log(sub, d->d_name, "control byte in the name", &logged) ; continue ; }
    if (!entry_regular(fd, d)) { skip_log(sub, d->d_name, "not a regular file", &logged) ; continue ; }
    len = strlen(d->d_name) ;
    e.name = sc->names.len ;
    e.innew = sub[0] == 'n' ;
    e.uid = 0 ; e.rec = 0 ;
    {
      char const *colon = memchr(d->d_name, ':', len) ;
      e.baselen = colon ? (size_t)(colon - d->d_name) : len ;
    }
    if (!e.baselen) continue ;
    if (!stralloc_cats(&sc->names, sub) || !stralloc_catb(&sc->names, "/", 1)
     || !stralloc_catb(&sc->names, d->d_name, len + 1)
     || !genalloc_append(ent, &sc->ents, &e)) break ;
  }
  {
    int e = errno ;
    closedir(dir) ;
    errno = e ;
    return !e ;
  }
}

static int do_scan (int dirfd, scan *sc)
{
  sc->names.len = 0 ;
  sc->ents.len = 0 ;
  if (!list_dir(dirfd, "new", sc) || !list_dir(dirfd, "cur", sc)) return 0 ;
  sort_names = sc->names.s ;
  if (genalloc_len(ent, &sc->ents))
    qsort(genalloc_s(ent, &sc->ents), genalloc_len(ent, &sc->ents), sizeof(ent), &cmp_base) ;
   /* twins (the same base in new/ and cur/, seen mid-move): keep the first */
  {
    ent *e = genalloc_s(ent, &sc->ents) ;
    size_t n = genalloc_len(ent, &sc->ents), w = 0 ;
    for (size_t i = 0 ; i < n ; i++)
    {
      if (w && e[w-1].baselen == e[i].baselen && !memcmp(sc->names.s + e[w-1].name + 4, sc->names.s + e[i].name + 4, e[i].baselen)) continue ;
      e[w++] = e[i] ;
    }
    genalloc_setlen(ent, &sc->ents, w) ;
  }
  return 1 ;
}

static ssize_t find_ent (scan const *sc, char const *base)
{
  ent const *e = genalloc_s(ent const, &sc->ents) ;
  size_t lo = 0, hi = genalloc_len(ent, &sc->ents), blen = strlen(base) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    size_t l = e[mid].baselen < blen ? e[mid].baselen : blen ;
    int c = memcmp(sc->names.s + e[mid].name + 4, base, l) ;
    if (!c) c = e[mid].baselen == blen ? 0 : e[mid].baselen < blen ? -1 : 1 ;
    if (!c) return mid ;
    if (c < 0) lo = mid + 1 ; else hi = mid ;
  }
  return -1 ;
}

static uint64_t stamp (struct stat const *st)
{
  return (uint64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec ;
}

static uint64_t uidlist_stamp (int dirfd)
{
  struct stat st ;
  if (fstatat(dirfd, MBOX_UIDLIST, &st, AT_SYMLINK_NOFOLLOW) == -1) return 0 ;
  return stamp(&st) ^ ((uint64_t)st.st_ino << 20) ^ (uint64_t)st.st_size ;
}

static int dir_stamp (int dirfd, char const *sub, uint64_t *v, time_t *sec)
{
  struct stat st ;
  if (fstatat(dirfd, sub, &st, AT_SYMLINK_NOFOLLOW) == -1) return 0 ;
  *v = stamp(&st) ;
  if (st.st_mtime > *sec) *sec = st.st_mtime ;
  return 1 ;
}

static char const *file_of (scan const *sc, ent const *e)
{
  return sc->names.s + e->name + 4 ;
}

 /* Does this entry's file name need a W remembered in the uidlist? */
static int needs_vsize (scan const *sc, ent const *e, mbox_uidlist const *ul)
{
  mbox_fname f ;
  mbox_fname_parse(file_of(sc, e), &f) ;
  return f.vsize == UINT64_MAX && genalloc_s(mbox_uidrec, &ul->recs)[e->rec].vsize == UINT64_MAX ;
}

static int letters_differ (scan const *sc, ent const *e, mbox_modseq const *ms)
{
  mbox_fname f ;
  ssize_t k = mbox_modseq_find(ms, e->uid) ;
  if (k < 0) return 1 ;
  mbox_fname_parse(file_of(sc, e), &f) ;
  {
    char const *rec = ms->sa.s + genalloc_s(mbox_msrec, &ms->recs)[k].letters ;
    return strlen(rec) != f.letterslen || memcmp(rec, f.letters, f.letterslen) ;
  }
}

typedef struct pass_s pass ;
struct pass_s
{
  mbox_uidlist ul ;
  scan sc ;
  stralloc kw ;
  unsigned int nkw ;
  genalloc missing ;     /* size_t: uidlist record indexes without a file */
  genalloc fresh ;       /* uint32_t: UIDs this pass assigned */
} ;

 /* Matches files and records; says whether the pass must write. */
static int match (mbox *m, pass *p, int *work)
{
  mbox_modseq const *ms = &m->priv->ms ;
  mbox_uidrec const *r = genalloc_s(mbox_uidrec const, &p->ul.recs) ;
  size_t nr = genalloc_len(mbox_uidrec, &p->ul.recs) ;
  ent *e = genalloc_s(ent, &p->sc.ents) ;
  size_t ne = genalloc_len(ent, &p->sc.ents) ;
  p->missing.len = 0 ;
  *work = !p->ul.version || !ms->present || ms->uidvalidity != p->ul.uidvalidity || ms->rewrite ;
  for (size_t i = 0 ; i < nr ; i++)
  {
    ssize_t k = find_ent(&p->sc, p->ul.sa.s + r[i].base) ;
    if (k < 0)
    {
      if (!genalloc_append(size_t, &p->missing, &i)) return 0 ;
      *work = 1 ;
      continue ;
    }
    if (e[k].uid) continue ;   /* two records, one file: the first wins */
    e[k].uid = r[i].uid ;
    e[k].rec = i ;
  }
  for (size_t i = 0 ; i < ne && !*work ; i++)
  {
    if (!e[i].uid) *work = 1 ;
    else if (e[i].innew && !m->readonly) *work = 1 ;
    else if (needs_vsize(&p->sc, e + i, &p->ul)) *work = 1 ;
    else if (letters_differ(&p->sc, e + i, ms)) *work = 1 ;
  }
   /* a modseq record whose message is gone (Dovecot expunged it and
      rewrote the uidlist) must become an expunge record */
  if (!*work)
  {
    mbox_msrec const *x = genalloc_s(mbox_msrec const, &ms->recs) ;
    size_t nx = genalloc_len(mbox_msrec, &ms->recs) ;
    for (size_t i = 0 ; i < nx && !*work ; i++)
      if (mbox_uidlist_find(&p->ul, x[i].uid) < 0) *work = 1 ;
  }
  return 1 ;
}

static int read_all (mbox *m, pass *p, int locked, int *corrupt)
{
  *corrupt = 0 ;
  if (!mbox_uidlist_read(m->dirfd, &p->ul))
  {
    if (errno != EPROTO) return 0 ;
    *corrupt = 1 ;
    if (!locked) return 1 ;
     /* under the lock and still unreadable: rebuilt, with a new UIDVALIDITY */
    p->ul.version = 0 ; p->ul.recs.len = 0 ; p->ul.sa.len = 0 ; p->ul.nextuid = 1 ;
    if (!stralloc_0(&p->ul.sa)) return 0 ;
    p->ul.hdrext = 0 ;
    *corrupt = 0 ;
  }
  if (!mbox_keywords_read(m->dirfd, &p->kw, &p->nkw)) return 0 ;
  if (!mbox_priv_load_ms(m)) return 0 ;
  return do_scan(m->dirfd, &p->sc) ;
}

 /* A long pass (a first open of a big folder) keeps its lock fresh, so
    that nobody takes it for a dead process's after 2 minutes. */
static void touch (int lockfd)
{
  futimens(lockfd, 0) ;
}

 /* The writes of a locked pass. Sets *again when a file moved under us. */
static int apply (mbox *m, pass *p, int lockfd, int *again)
{
  mbox_modseq *ms = &m->priv->ms ;
  ent *e ;
  size_t ne ;
  uint64_t mod = 0 ;
  int uldirty = 0, moved = 0 ;
  unsigned int ops = 0 ;
  *again = 0 ;
  p->fresh.len = 0 ;

  if (!p->ul.version)
  {
    mbox_uidlist_init(&p->ul, m->rootfd) ;
    uldirty = 1 ;
  }
  else if (p->ul.version != 3 || !p->ul.guid[0])
  {
     /* written back as version 3, which has a mailbox GUID */
    if (!p->ul.guid[0]) mbox_uidlist_new_guid(&p->ul) ;
    uldirty = 1 ;
  }

   /* posthaste-modseq missing, corrupt or of another UIDVALIDITY:
      rebuilt, every message at one modseq, never below what was there */
  if (!ms->present || ms->uidvalidity != p->ul.uidvalidity)
  {
    uint64_t base = (ms->uidvalidity == p->ul.uidvalidity || !ms->present) && ms->highest ? ms->highest + 1 : 1 ;
    /* A folder that was served before (its uidlist has records) but lost
     * its modseq state: clients may hold modseqs we no longer know, and
     * HIGHESTMODSEQ must never go back (RFC 7162 §3.1.2.1). Start above
     * anything a counter could have reached: the time in seconds times
     * 2^20 (a million changes per second since the last rebuild); the
     * floor then makes QRESYNC answer from the known UIDs instead of a
     * history we do not have. */
    if (base == 1 && p->ul.version && genalloc_len(mbox_uidrec, &p->ul.recs))
      base = ((uint64_t)time(0) << 20) ;
    ms->recs.len = 0 ; ms->expunged.len = 0 ; ms->sa.len = 0 ; ms->pending.len = 0 ;
    ms->xwritten = 0 ;
    ms->uidvalidity = p->ul.uidvalidity ;
    ms->highest = base ;
    ms->floor = base ;
    ms->rewrite = 1 ;
    ms->present = 0 ;
    mod = base ;
  }
  else mod = mbox_next_modseq(ms) ;

   /* records without a file: expunged elsewhere */
  {
    size_t nmiss = genalloc_len(size_t, &p->missing) ;
    if (nmiss)
    {
      mbox_uidrec *r = genalloc_s(mbox_uidrec, &p->ul.recs) ;
      size_t nr = genalloc_len(mbox_uidrec, &p->ul.recs), w = 0, k = 0 ;
      size_t const *miss = genalloc_s(size_t const, &p->missing) ;
      for (size_t i = 0 ; i < nr ; i++)
      {
        if (k < nmiss && miss[k] == i)
        {
          k++ ;
          if (!mbox_modseq_expunge(ms, r[i].uid, mod)) return 0 ;
          continue ;
        }
        r[w++] = r[i] ;
      }
      genalloc_setlen(mbox_uidrec, &p->ul.recs, w) ;
      uldirty = 1 ;
       /* record indexes moved: match again */
      {
        ent *ee = genalloc_s(ent, &p->sc.ents) ;
        size_t n = genalloc_len(ent, &p->sc.ents) ;
        for (size_t i = 0 ; i < n ; i++)
          if (ee[i].uid) ee[i].rec = (size_t)mbox_uidlist_find(&p->ul, ee[i].uid) ;
      }
    }
  }

   /* modseq records of UIDs the uidlist no longer has */
  {
    mbox_msrec const *x = genalloc_s(mbox_msrec const, &ms->recs) ;
    size_t i = 0 ;
    while (i < genalloc_len(mbox_msrec, &ms->recs))
    {
      x = genalloc_s(mbox_msrec const, &ms->recs) ;
      if (mbox_uidlist_find(&p->ul, x[i].uid) < 0)
      {
        if (!mbox_modseq_expunge(ms, x[i].uid, mod)) return 0 ;
        continue ;   /* the record went: same index again */
      }
      i++ ;
    }
  }

   /* new files: UIDs in the order of their names' time */
  e = genalloc_s(ent, &p->sc.ents) ;
  ne = genalloc_len(ent, &p->sc.ents) ;
  {
    genalloc order = GENALLOC_ZERO ;
    for (size_t i = 0 ; i < ne ; i++)
      if (!e[i].uid && !genalloc_append(ent, &order, e + i)) { genalloc_free(ent, &order) ; return 0 ; }
    if (order.len)
    {
      ent *o = genalloc_s(ent, &order) ;
      size_t no = genalloc_len(ent, &order) ;
      sort_names = p->sc.names.s ;
      qsort(o, no, sizeof(ent), &cmp_time) ;
      for (size_t i = 0 ; i < no ; i++)
      {
        mbox_fname f ;
        uint32_t uid = p->ul.nextuid ;
        char const *file = file_of(&p->sc, o + i) ;
        if (uid == UINT32_MAX) { genalloc_free(ent, &order) ; return (errno = EOVERFLOW, 0) ; }
        mbox_fname_parse(file, &f) ;
        if (!mbox_uidlist_add(&p->ul, uid, file, f.baselen, UINT64_MAX)
         || !genalloc_append(uint32_t, &p->fresh, &uid)) { genalloc_free(ent, &order) ; return 0 ; }
         /* back into the sorted entries (names are unique after do_scan) */
        for (size_t j = 0 ; j < ne ; j++)
          if (e[j].name == o[i].name)
          {
            e[j].uid = uid ;
            e[j].rec = genalloc_len(mbox_uidrec, &p->ul.recs) - 1 ;
            break ;
          }
      }
      uldirty = 1 ;
    }
    genalloc_free(ent, &order) ;
  }

   /* new/ to cur/, with ":2," (Dovecot's way of saying "seen by an IMAP
      server") */
  if (!m->readonly)
  {
    stralloc to = STRALLOC_ZERO ;
    for (size_t i = 0 ; i < ne ; i++)
    {
      char const *file ;
      if (!e[i].innew) continue ;
      file = file_of(&p->sc, e + i) ;
      to.len = 0 ;
      if (!stralloc_cats(&to, "cur/") || !stralloc_cats(&to, file)
       || (!strchr(file, ':') && !stralloc_catb(&to, ":2,", 3)) || !stralloc_0(&to)) { stralloc_free(&to) ; return 0 ; }
      if (!(++ops & 511)) touch(lockfd) ;
      if (renameat(m->dirfd, p->sc.names.s + e[i].name, m->dirfd, to.s) == -1)
      {
        if (errno != ENOENT) { stralloc_free(&to) ; return 0 ; }
        *again = 1 ;   /* someone else moved it: the next pass finds it */
        continue ;
      }
      moved = 1 ;
       /* the names arena only grows: the entry now points at its new name */
      e[i].name = p->sc.names.len ;
      e[i].innew = 0 ;
      if (!stralloc_catb(&p->sc.names, to.s, to.len)) { stralloc_free(&to) ; return 0 ; }
      sort_names = p->sc.names.s ;
    }
    stralloc_free(&to) ;
    if (moved)
    {
      int fd = openat(m->dirfd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
      if (fd == -1) return 0 ;
      if (fd_sync(fd) == -1) { fd_close(fd) ; return 0 ; }
      fd_close(fd) ;
    }
  }

   /* RFC822.SIZE of files without ",W=": counted once, kept in the uidlist */
  for (size_t i = 0 ; i < ne ; i++)
  {
    int fd ;
    uint64_t v ;
    if (!e[i].uid || !needs_vsize(&p->sc, e + i, &p->ul)) continue ;
    if (!(++ops & 511)) touch(lockfd) ;
    fd = openat(m->dirfd, p->sc.names.s + e[i].name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
    if (fd == -1)
    {
      /* ELOOP: a symlink took the file's place since the listing; like a
       * FIFO (below), it is skipped, its size left uncounted */
      if (errno == ELOOP) continue ;
      if (errno != ENOENT) return 0 ;
      *again = 1 ;
      continue ;
    }
    {
      struct stat st ;
      if (fstat(fd, &st) == -1) { fd_close(fd) ; return 0 ; }
      if (!S_ISREG(st.st_mode)) { fd_close(fd) ; continue ; }
    }
    if (!mbox_count_crlf(fd, &v)) { fd_close(fd) ; return 0 ; }
    fd_close(fd) ;
    genalloc_s(mbox_uidrec, &p->ul.recs)[e[i].rec].vsize = v ;
    uldirty = 1 ;
  }

   /* flags as the file names say now, each change with the new modseq */
  for (size_t i = 0 ; i < ne ; i++)
  {
    mbox_fname f ;
    char letters[256] ;
    if (!e[i].uid || !letters_differ(&p->sc, e + i, ms)) continue ;
    mbox_fname_parse(file_of(&p->sc, e + i), &f) ;
    if (f.letterslen >= sizeof(letters)) f.letterslen = sizeof(letters) - 1 ;
    memcpy(letters, f.letters, f.letterslen) ;
    letters[f.letterslen] = 0 ;
    if (!mbox_modseq_set(ms, e[i].uid, mod, letters)) return 0 ;
  }

  if (ms->pending.len || ms->rewrite || !ms->present || ms->xwritten != genalloc_len(mbox_msrange, &ms->expunged))
  {
    if (!mbox_modseq_write(m->dirfd, ms)) return 0 ;
    mbox_priv_ms_written(m) ;
  }
  p->ul.version = 3 ;
  return uldirty ? 2 : 1 ;
}

 /* The message list from a consistent pass. */
static int build (mbox *m, pass *p, genalloc *msgs, stralloc *names, int *again)
{
  mbox_modseq const *ms = &m->priv->ms ;
  mbox_msg const *old = genalloc_s(mbox_msg const, &m->msgs) ;
  size_t nold = genalloc_len(mbox_msg, &m->msgs), o = 0 ;
  uint32_t oldmax = nold ? old[nold-1].uid : 0 ;
  ent *e = genalloc_s(ent, &p->sc.ents) ;
  size_t ne = genalloc_len(ent, &p->sc.ents) ;
  uint32_t const *fresh = genalloc_s(uint32_t const, &p->fresh) ;
  size_t nfresh = genalloc_len(uint32_t, &p->fresh) ;
  *again = 0 ;
  sort_names = p->sc.names.s ;
  if (ne) qsort(e, ne, sizeof(ent), &cmp_uid) ;
  for (size_t i = 0 ; i < ne ; i++)
  {
    mbox_msg x ;
    mbox_fname f ;
    struct stat st ;
    mbox_uidrec const *r ;
    ssize_t k ;
    if (!e[i].uid) continue ;
    while (o < nold && old[o].uid < e[i].uid) o++ ;
     /* a UID below ones already shown that we never had: it cannot be
        shown without renumbering, and cannot happen unless someone
        wrote the uidlist by hand */
    if (nold && e[i].uid < oldmax && !(o < nold && old[o].uid == e[i].uid)) continue ;
    r = genalloc_s(mbox_uidrec const, &p->ul.recs) + e[i].rec ;
    if (!(o < nold && old[o].uid == e[i].uid))
    {
       /* a message this handle has not seen: its mtime (the internal
          date) and size. Another session may have renamed it (a flag
          change) since the listing: found again by its base name in
          cur/, rather than listing everything again, which a busy
          folder could make fail every time */
      if (fstatat(m->dirfd, p->sc.names.s + e[i].name, &st, AT_SYMLINK_NOFOLLOW) == -1)
      {
        size_t at = p->sc.names.len ;
        char base[256] ;
        int found = 0 ;
        if (errno != ENOENT) return 0 ;
         /* a copy: the search appends to the arena the name lives in */
        if (e[i].baselen < sizeof(base))
        {
          memcpy(base, file_of(&p->sc, e + i), e[i].baselen) ;
          found = mbox_find_base(m->dirfd, "cur", base, e[i].baselen, &p->sc.names) ;
        }
        if (found < 0) return 0 ;
        sort_names = p->sc.names.s ;
        if (!found || fstatat(m->dirfd, p->sc.names.s + at, &st, AT_SYMLINK_NOFOLLOW) == -1)
        {
          if (found && errno != ENOENT) return 0 ;
          *again = 1 ;
          st.st_mtime = 0 ; st.st_size = 0 ;
        }
        else
        {
          e[i].name = at ;
          e[i].innew = 0 ;
        }
      }
    }
    mbox_fname_parse(file_of(&p->sc, e + i), &f) ;
    x.uid = e[i].uid ;
    x.flags = f.flags ;
    x.keywords = f.keywords ;
    k = mbox_modseq_find(ms, x.uid) ;
    x.modseq = k >= 0 ? genalloc_s(mbox_msrec const, &ms->recs)[k].modseq : ms->highest ;
    if (!x.modseq) x.modseq = 1 ;
    x.recent = 0 ;
    if (o < nold && old[o].uid == x.uid)
    {
      x.internaldate = old[o].internaldate ;
      x.fsize = old[o].fsize ;
      x.recent = old[o].recent ;
    }
    else
    {
      x.internaldate = st.st_mtime ;
      x.fsize = f.fsize != UINT64_MAX ? f.fsize : (uint64_t)st.st_size ;
    }
    x.size = f.vsize != UINT64_MAX ? f.vsize : r->vsize != UINT64_MAX ? r->vsize : x.fsize ;
    if (!m->readonly)
      for (size_t j = 0 ; j < nfresh ; j++) if (fresh[j] == x.uid) { x.recent = 1 ; break ; }
    x.name = names->len ;
    if (!stralloc_cats(names, p->sc.names.s + e[i].name) || !stralloc_0(names)) return 0 ;
    x.guid = names->len ;
    if (!stralloc_cats(names, p->ul.sa.s + r->guid) || !stralloc_0(names)) return 0 ;
    x.pop3uidl = names->len ;
    if (!pop3uidl_cat(names, p->ul.sa.s + r->ext) || !stralloc_0(names)) return 0 ;
    if (!genalloc_append(mbox_msg, msgs, &x)) return 0 ;
  }
  return 1 ;
}

/* Dovecot keeps a POP3 UIDL carried over from an older server in the
 * record's "P" extension field and serves it instead of
 * pop3_uidl_format; we do the same. Only a valid RFC 1939 §7 UIDL
 * (1 to 70 characters 0x21..0x7E) is taken. */
static int pop3uidl_cat (stralloc *sa, char const *ext)
{
  while (*ext)
  {
    size_t n = strcspn(ext, " ") ;
    if (ext[0] == 'P' && n >= 2 && n <= 71)
    {
      size_t k = 1 ;
      while (k < n && ext[k] >= 0x21 && ext[k] <= 0x7e) k++ ;
      if (k == n) return stralloc_catb(sa, ext + 1, n - 1) ;
    }
    ext += n ;
    while (*ext == ' ') ext++ ;
  }
  return 1 ;
}

static int push_u32 (genalloc *g, uint32_t v)
{
  return genalloc_append(uint32_t, g, &v) ;
}

 /* old m->msgs against msgs, into ch */
static int diff (mbox *m, genalloc const *msgs, mbox_changes *ch)
{
  mbox_msg const *old = genalloc_s(mbox_msg const, &m->msgs) ;
  mbox_msg const *cur = genalloc_s(mbox_msg const, msgs) ;
  size_t nold = genalloc_len(mbox_msg, &m->msgs), ncur = genalloc_len(mbox_msg, msgs) ;
  size_t i = 0, j = 0, seqbase = ch->expunged_seq.len ;
  while (i < nold || j < ncur)
  {
    if (j >= ncur || (i < nold && old[i].uid < cur[j].uid))
    {
      if (!push_u32(&ch->expunged_seq, (uint32_t)(i + 1)) || !push_u32(&ch->expunged_uid, old[i].uid)) return 0 ;
      i++ ;
    }
    else if (i >= nold || cur[j].uid > old[i].uid)
    {
      ch->added++ ;
      j++ ;
    }
    else
    {
      if (old[i].flags != cur[j].flags || old[i].keywords != cur[j].keywords || old[i].modseq != cur[j].modseq)
        if (!push_u32(&ch->changed, (uint32_t)j)) return 0 ;
      i++ ; j++ ;
    }
  }
   /* this round's sequence numbers in descending order */
  {
    uint32_t *s = genalloc_s(uint32_t, &ch->expunged_seq) + seqbase / sizeof(uint32_t) ;
    size_t n = (ch->expunged_seq.len - seqbase) / sizeof(uint32_t) ;
    for (size_t a = 0, b = n ; a + 1 < b ; a++, b--)
    {
      uint32_t t = s[a] ; s[a] = s[b-1] ; s[b-1] = t ;
    }
  }
  return 1 ;
}

static void pass_free (pass *p)
{
  mbox_uidlist_free(&p->ul) ;
  stralloc_free(&p->sc.names) ;
  genalloc_free(ent, &p->sc.ents) ;
  stralloc_free(&p->kw) ;
  genalloc_free(size_t, &p->missing) ;
  genalloc_free(uint32_t, &p->fresh) ;
}

static int keywords_same (mbox const *m, pass const *p)
{
  return m->nkeywords == p->nkw && m->keywords.len == p->kw.len && (!p->kw.len || !memcmp(m->keywords.s, p->kw.s, p->kw.len)) ;
}

int mbox_sync_internal (mbox *m, mbox_changes *ch, int first)
{
  pass p = { .ul = MBOX_UIDLIST_ZERO, .sc = { .names = STRALLOC_ZERO, .ents = GENALLOC_ZERO }, .kw = STRALLOC_ZERO, .nkw = 0, .missing = GENALLOC_ZERO, .fresh = GENALLOC_ZERO } ;
  genalloc msgs = GENALLOC_ZERO ;
  stralloc names = STRALLOC_ZERO ;
  int lockfd = -1, rescanned = 0, ok = 0 ;
  uint64_t snew = 0, scur = 0, sul = 0 ;
  time_t newest = 0 ;

  if (!mbox_priv_init(m)) return 0 ;
  if (!first)
  {
     /* cheap: nothing changed since the last scan, and that scan was
        not within the same second as a change (Dovecot's rule: several
        changes can share one mtime) */
    if (dir_stamp(m->dirfd, "new", &snew, &newest) && dir_stamp(m->dirfd, "cur", &scur, &newest))
    {
      sul = uidlist_stamp(m->dirfd) ;
      if (snew == m->synced_mtime_new && scur == m->synced_mtime_cur && sul == m->synced_uidlist
       && newest < time(0) - 1) return 1 ;
    }
  }

  for (unsigned int attempt = 0 ; ; attempt++)
  {
    int work, corrupt, again = 0 ;
    if (attempt >= 8) { errno = EAGAIN ; goto end ; }
    newest = 0 ;
    if (!dir_stamp(m->dirfd, "new", &snew, &newest) || !dir_stamp(m->dirfd, "cur", &scur, &newest)) goto end ;
    sul = uidlist_stamp(m->dirfd) ;
    p.fresh.len = 0 ;
    if (!read_all(m, &p, lockfd >= 0, &corrupt)) goto end ;
    if (corrupt) work = 1 ;
    else if (!match(m, &p, &work)) goto end ;
    if (work)
    {
      int r ;
      if (lockfd < 0)
      {
        lockfd = mbox_lock(m->dirfd) ;
        if (lockfd < 0) goto end ;
        continue ;   /* everything again, under the lock */
      }
      if (genalloc_len(size_t, &p.missing) && !rescanned)
      {
        rescanned = 1 ;
        continue ;
      }
      r = apply(m, &p, lockfd, &again) ;
      if (!r) goto end ;
      if (!mbox_lock_release(m->dirfd, lockfd, &p.ul, r == 2)) { lockfd = -1 ; goto end ; }
      lockfd = -1 ;
       /* the stamps stay those from before the reading: our own writes
          changed the mtimes, so the next sync lists once more, and a
          change by someone else made meanwhile is not hidden behind them */
      if (again) { rescanned = 0 ; continue ; }
    }
    else if (lockfd >= 0) { mbox_unlock(m->dirfd, lockfd) ; lockfd = -1 ; }
    msgs.len = 0 ; names.len = 0 ;
    if (!build(m, &p, &msgs, &names, &again)) goto end ;
    if (again) { rescanned = 0 ; continue ; }
    break ;
  }

  if (!first && !diff(m, &msgs, ch)) goto end ;
  if (!keywords_same(m, &p))
  {
    if (!stralloc_copyb(&m->keywords, p.kw.s ? p.kw.s : "", p.kw.len)) goto end ;
    m->nkeywords = p.nkw ;
    if (ch && !first) ch->keywords_changed = 1 ;
  }
  genalloc_free(mbox_msg, &m->msgs) ;
  stralloc_free(&m->names) ;
  m->msgs = msgs ; msgs = (genalloc)GENALLOC_ZERO ;
  m->names = names ; names = (stralloc)STRALLOC_ZERO ;
  m->uidvalidity = p.ul.uidvalidity ;
  if (p.ul.nextuid > m->uidnext) m->uidnext = p.ul.nextuid ;
  m->highestmodseq = m->priv->ms.highest ? m->priv->ms.highest : 1 ;
  m->synced_mtime_new = snew ;
  m->synced_mtime_cur = scur ;
  m->synced_uidlist = sul ;
  ok = 1 ;
 end:
  if (lockfd >= 0) mbox_unlock(m->dirfd, lockfd) ;
  pass_free(&p) ;
  genalloc_free(mbox_msg, &msgs) ;
  stralloc_free(&names) ;
  return ok ;
}

void mbox_changes_free (mbox_changes *ch)
{
  genalloc_free(uint32_t, &ch->expunged_seq) ;
  genalloc_free(uint32_t, &ch->expunged_uid) ;
  genalloc_free(uint32_t, &ch->changed) ;
  ch->added = 0 ;
  ch->keywords_changed = 0 ;
}

static void changes_clear (mbox_changes *ch)
{
  ch->expunged_seq.len = 0 ;
  ch->expunged_uid.len = 0 ;
  ch->changed.len = 0 ;
  ch->added = 0 ;
  ch->keywords_changed = 0 ;
}

int mbox_sync (mbox *m, mbox_changes *ch)
{
  changes_clear(ch) ;
  return mbox_sync_internal(m, ch, 0) ;
}

 /* After mbox_idle dropped the names: each message's current file name
    (its base from the uidlist, the file from a listing of new/ and
    cur/), GUID and POP3 UIDL again, without changing anything else of
    the list (what changed is for the next sync to report). A message
    whose record or file is gone gets "cur/<base>" or "": opening it
    fails with ENOENT, as for any message expunged elsewhere. */
int mbox_names_rebuild (mbox *m)
{
  mbox_uidlist ul = MBOX_UIDLIST_ZERO ;
  scan sc = { .names = STRALLOC_ZERO, .ents = GENALLOC_ZERO } ;
  stralloc names = STRALLOC_ZERO ;
  size_t n = mbox_count(m) ;
  int ok = 0 ;
  if (!mbox_uidlist_read(m->dirfd, &ul) && errno != EPROTO) goto end ;
  if (!do_scan(m->dirfd, &sc)) goto end ;
  if (!stralloc_ready(&names, n * 40 + 1)) goto end ;
  for (size_t i = 0 ; i < n ; i++)
  {
    mbox_msg *x = mbox_at(m, i) ;
    ssize_t k = ul.version ? mbox_uidlist_find(&ul, x->uid) : -1 ;
    mbox_uidrec const *r = k >= 0 ? genalloc_s(mbox_uidrec const, &ul.recs) + k : 0 ;
    ssize_t e = r ? find_ent(&sc, ul.sa.s + r->base) : -1 ;
    x->name = names.len ;
    if (e >= 0) { if (!stralloc_cats(&names, sc.names.s + genalloc_s(ent, &sc.ents)[e].name)) goto end ; }
    else if (r && (!stralloc_cats(&names, "cur/") || !stralloc_cats(&names, ul.sa.s + r->base))) goto end ;
    if (!stralloc_0(&names)) goto end ;
    x->guid = names.len ;
    if ((r && !stralloc_cats(&names, ul.sa.s + r->guid)) || !stralloc_0(&names)) goto end ;
    x->pop3uidl = names.len ;
    if ((r && !pop3uidl_cat(&names, ul.sa.s + r->ext)) || !stralloc_0(&names)) goto end ;
  }
  stralloc_free(&m->names) ;
  m->names = names ;
  names = (stralloc)STRALLOC_ZERO ;
  ok = 1 ;
 end:
  mbox_uidlist_free(&ul) ;
  stralloc_free(&sc.names) ;
  genalloc_free(ent, &sc.ents) ;
  stralloc_free(&names) ;
  return ok ;
}

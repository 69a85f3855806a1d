/* ISC license. */

/* mailctl debug show-mail-logs [LINES] and mailctl log QUEUEID: the
 * logs of every service, $PH_STATE/log/<service>/ (s6-log's
 * directories: `current`, and the archives "@<TAI64N>.s" or ".u", whose
 * names sort in time order), merged by their s6-log stamps
 * ("YYYY-MM-DD HH:MM:SS.nnnnnnnnn", which sort as text: docs/internals.md,
 * "Logs"). Each line is printed as "<stamp> [<service>] <program>: ...".
 *   debug show-mail-logs [LINES]
 *     docker-mailserver's `setup debug show-mail-logs` (its mail.log):
 *     every service's `current`, merged; with LINES, the last LINES
 *     lines of the merge.
 *   log QUEUEID
 *     every line about one message (qid=QUEUEID: docs/internals.md,
 *     "Logs"), archives included, in time order, and the lines of the
 *     messages linked to it by queued's `event=dsn qid=NEW orig=OLD`
 *     (a bounce or a DSN and the message it is about, both ways).
 * Reading needs the log directories' permission (phlog's, readable by
 * root). Each file is read whole (s6-log cuts them at 1 MB: the run
 * scripts' s1000000); only `log`'s matching lines are kept across files. */

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "setup.h"

#define STAMP_LEN 29    /* "2026-11-27 23:30:42.207911796" */
#define FILE_MAX (64 * 1024 * 1024)
#define QID_MIN 12
#define QID_MAX 24
#define LINKS_MAX 64    /* bounces of bounces: the chain stays short */
#define dienomem() strerr_diefu1sys(111, "allocate memory")

typedef struct logl_s logl ;
struct logl_s
{
  size_t off ;    /* in text: the line, without LF */
  size_t len ;
  size_t svc ;    /* offset of the service name in names */
  size_t seq ;    /* order read: ties keep the file order */
} ;

static stralloc text = STRALLOC_ZERO ;
static stralloc names = STRALLOC_ZERO ;
static genalloc lines = GENALLOC_ZERO ;   /* logl */

static void out (char const *s, size_t n)
{
  if (buffer_put(buffer_1, s, n) < 0) strerr_diefu1sys(111, "write to stdout") ;
}

static int cmp_str (void const *a, void const *b)
{
  return strcmp(*(char const *const *)a, *(char const *const *)b) ;
}

static int cmp_line (void const *a, void const *b)
{
  logl const *x = a, *y = b ;
  size_t n = x->len < y->len ? x->len : y->len ;
  int c = memcmp(text.s + x->off, text.s + y->off, n < STAMP_LEN ? n : STAMP_LEN) ;
  if (c) return c ;
  return x->seq < y->seq ? -1 : x->seq > y->seq ;
}

/* The entries of dir that keep(name) accepts, sorted, as offsets into
 * store. */
static void list_dir (char const *dir, int (*keep) (char const *), stralloc *store, genalloc *offs)
{
  DIR *d = opendir(dir) ;
  if (!d) strerr_diefu2sys(111, "open directory ", dir) ;
  for (;;)
  {
    struct dirent *e ;
    size_t off = store->len ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    if (!keep(e->d_name)) continue ;
    if (!stralloc_cats(store, e->d_name) || !stralloc_0(store) || !genalloc_append(size_t, offs, &off)) dienomem() ;
  }
  if (errno) strerr_diefu2sys(111, "read directory ", dir) ;
  closedir(d) ;
}

static void sorted (stralloc const *store, genalloc const *offs, genalloc *ptrs)
{
  for (size_t i = 0 ; i < genalloc_len(size_t, offs) ; i++)
  {
    char const *p = store->s + genalloc_s(size_t, offs)[i] ;
    if (!genalloc_append(char const *, ptrs, &p)) dienomem() ;
  }
  if (genalloc_len(char const *, ptrs))
    qsort(genalloc_s(char const *, ptrs), genalloc_len(char const *, ptrs), sizeof(char const *), &cmp_str) ;
}

static int is_service (char const *s)
{
  return s[0] != '.' ;
}

static int is_archive (char const *s)
{
  size_t n = strlen(s) ;
  return s[0] == '@' && n > 2 && s[n - 2] == '.' && (s[n - 1] == 's' || s[n - 1] == 'u') ;
}

/* Does line s[0..n) have key=value as one of its fields? */
static int has_field (char const *s, size_t n, char const *key, char const *value)
{
  size_t kl = strlen(key), vl = strlen(value) ;
  for (size_t i = 0 ; i + kl + vl <= n ; i++)
  {
    if ((i && s[i - 1] != ' ') || memcmp(s + i, key, kl) || memcmp(s + i + kl, value, vl)) continue ;
    if (i + kl + vl == n || s[i + kl + vl] == ' ') return 1 ;
  }
  return 0 ;
}

/* The value of key= in the line, into buf (a queue id's size), or 0. */
static int field (char const *s, size_t n, char const *key, char *buf)
{
  size_t kl = strlen(key) ;
  for (size_t i = 0 ; i + kl < n ; i++)
  {
    size_t j ;
    if ((i && s[i - 1] != ' ') || memcmp(s + i, key, kl)) continue ;
    for (j = i + kl ; j < n && s[j] != ' ' ; j++) ;
    if (j - i - kl < QID_MIN || j - i - kl > QID_MAX) return 0 ;
    memcpy(buf, s + i + kl, j - i - kl) ;
    buf[j - i - kl] = 0 ;
    return 1 ;
  }
  return 0 ;
}

typedef void line_func (char const *svc, size_t svcoff, char const *s, size_t n, void *data) ;

/* Calls f on every line of every service's files (archives too when
 * all), service by service, file by file in time order. */
static void each_line (char const *logdir, int all, line_func *f, void *data)
{
  stralloc store = STRALLOC_ZERO, path = STRALLOC_ZERO, buf = STRALLOC_ZERO ;
  genalloc offs = GENALLOC_ZERO, svcs = GENALLOC_ZERO ;
  list_dir(logdir, &is_service, &store, &offs) ;
  sorted(&store, &offs, &svcs) ;
  for (size_t i = 0 ; i < genalloc_len(char const *, &svcs) ; i++)
  {
    char const *svc = genalloc_s(char const *, &svcs)[i] ;
    stralloc fstore = STRALLOC_ZERO ;
    genalloc foffs = GENALLOC_ZERO, files = GENALLOC_ZERO ;
    size_t svcoff = names.len ;
    char const *cur = "current" ;
    if (!stralloc_cats(&names, svc) || !stralloc_0(&names)) dienomem() ;
    path.len = 0 ;
    if (!stralloc_cats(&path, logdir) || !stralloc_catb(&path, "/", 1) || !stralloc_cats(&path, svc) || !stralloc_0(&path)) dienomem() ;
    if (all)
    {
      DIR *probe = opendir(path.s) ;
      if (!probe)
      {
        if (errno == ENOTDIR) goto next ;
        strerr_diefu2sys(111, "open directory ", path.s) ;
      }
      closedir(probe) ;
      list_dir(path.s, &is_archive, &fstore, &foffs) ;
      sorted(&fstore, &foffs, &files) ;
    }
    if (!genalloc_append(char const *, &files, &cur)) dienomem() ;
    for (size_t j = 0 ; j < genalloc_len(char const *, &files) ; j++)
    {
      struct stat st ;
      size_t base = path.len - 1, pos = 0 ;
      path.len = base ;
      if (!stralloc_catb(&path, "/", 1) || !stralloc_cats(&path, genalloc_s(char const *, &files)[j]) || !stralloc_0(&path)) dienomem() ;
      buf.len = 0 ;
      if (stat(path.s, &st) == 0 && st.st_size > FILE_MAX)
        strerr_dief3x(111, "unable to read ", path.s, ": larger than 64 MB") ;
      if (!openslurpclose(&buf, path.s))
      {
        if (errno != ENOENT && errno != ENOTDIR) strerr_diefu2sys(111, "read ", path.s) ;
      }
      while (pos < buf.len)
      {
        char const *nl = memchr(buf.s + pos, '\n', buf.len - pos) ;
        size_t n = nl ? (size_t)(nl - buf.s) - pos : buf.len - pos ;
        if (n) f(svc, svcoff, buf.s + pos, n, data) ;
        pos += n + 1 ;
      }
      path.len = base + 1 ;
      path.s[base] = 0 ;
    }
   next:
    stralloc_free(&fstore) ;
    genalloc_free(size_t, &foffs) ;
    genalloc_free(char const *, &files) ;
  }
  stralloc_free(&store) ; stralloc_free(&path) ; stralloc_free(&buf) ;
  genalloc_free(size_t, &offs) ;
  genalloc_free(char const *, &svcs) ;
}

static void keep_line (size_t svcoff, char const *s, size_t n)
{
  logl l = { .off = text.len, .len = n, .svc = svcoff, .seq = genalloc_len(logl, &lines) } ;
  if (!stralloc_catb(&text, s, n) || !genalloc_append(logl, &lines, &l)) dienomem() ;
}

static void print_sorted (size_t last)
{
  logl *v = genalloc_s(logl, &lines) ;
  size_t n = genalloc_len(logl, &lines) ;
  if (n) qsort(v, n, sizeof(logl), &cmp_line) ;
  for (size_t i = last && last < n ? n - last : 0 ; i < n ; i++)
  {
    char const *s = text.s + v[i].off ;
    size_t stamp = v[i].len >= STAMP_LEN && s[4] == '-' && s[10] == ' ' ? STAMP_LEN : 0 ;
    size_t rest = stamp ;
    while (rest < v[i].len && s[rest] == ' ') rest++ ;
    if (stamp) { out(s, stamp) ; out(" ", 1) ; }
    out("[", 1) ;
    out(names.s + v[i].svc, strlen(names.s + v[i].svc)) ;
    out("] ", 2) ;
    out(s + rest, v[i].len - rest) ;
    out("\n", 1) ;
  }
  if (!buffer_flush(buffer_1)) strerr_diefu1sys(111, "write to stdout") ;
}

static char const *logdir (stralloc *sa)
{
  char const *state = config_get_default("PH_STATE", "/var/mail-state/posthaste") ;
  if (!stralloc_cats(sa, state) || !stralloc_cats(sa, "/log") || !stralloc_0(sa)) dienomem() ;
  return sa->s ;
}

static void show_line (char const *svc, size_t svcoff, char const *s, size_t n, void *data)
{
  (void)svc ; (void)data ;
  keep_line(svcoff, s, n) ;
}

int mc_debug (int argc, char const *const *argv)
{
  stralloc dir = STRALLOC_ZERO ;
  size_t last = 0 ;
  if (argc < 1 || strcmp(argv[0], "show-mail-logs") || argc > 2 || (argc == 2 && (!size0_scan(argv[1], &last) || !last)))
    strerr_dieusage(100, "mailctl debug show-mail-logs [LINES]") ;
  each_line(logdir(&dir), 0, &show_line, 0) ;
  print_sorted(last) ;
  stralloc_free(&dir) ;
  return 0 ;
}

typedef struct qids_s qids ;
struct qids_s
{
  char v[LINKS_MAX + 1][QID_MAX + 1] ;
  unsigned int n ;
  char links[LINKS_MAX][2][QID_MAX + 1] ;   /* new, orig */
  unsigned int nlinks ;
} ;

static int qids_has (qids const *q, char const *id)
{
  for (unsigned int i = 0 ; i < q->n ; i++) if (!strcmp(q->v[i], id)) return 1 ;
  return 0 ;
}

static void link_line (char const *svc, size_t svcoff, char const *s, size_t n, void *data)
{
  qids *q = data ;
  char a[QID_MAX + 1], b[QID_MAX + 1] ;
  (void)svc ; (void)svcoff ;
  if (q->nlinks >= LINKS_MAX || !field(s, n, "orig=", b) || !field(s, n, "qid=", a)) return ;
  memcpy(q->links[q->nlinks][0], a, sizeof(a)) ;
  memcpy(q->links[q->nlinks][1], b, sizeof(b)) ;
  q->nlinks++ ;
}

static void qid_line (char const *svc, size_t svcoff, char const *s, size_t n, void *data)
{
  qids const *q = data ;
  (void)svc ;
  for (unsigned int i = 0 ; i < q->n ; i++)
    if (has_field(s, n, "qid=", q->v[i]) || has_field(s, n, "orig=", q->v[i]))
    {
      keep_line(svcoff, s, n) ;
      return ;
    }
}

int mc_log (int argc, char const *const *argv)
{
  static qids q ;
  stralloc dir = STRALLOC_ZERO ;
  size_t n = argc == 1 ? strlen(argv[0]) : 0 ;
  int grew = 1 ;
  if (argc != 1) strerr_dieusage(100, "mailctl log QUEUEID") ;
  if (n < QID_MIN || n > QID_MAX) strerr_dief2x(100, "not a queue id (12 to 24 letters and digits): ", argv[0]) ;
  for (size_t i = 0 ; i < n ; i++)
    if (!((argv[0][i] >= '0' && argv[0][i] <= '9') || (argv[0][i] >= 'a' && argv[0][i] <= 'z') || (argv[0][i] >= 'A' && argv[0][i] <= 'Z')))
      strerr_dief2x(100, "not a queue id (12 to 24 letters and digits): ", argv[0]) ;
  memcpy(q.v[0], argv[0], n + 1) ;
  q.n = 1 ;
  logdir(&dir) ;
   /* first the links, then the closure of the id over them (each round
      adds an id or stops: at most LINKS_MAX rounds), then the lines */
  each_line(dir.s, 1, &link_line, &q) ;
  while (grew && q.n <= LINKS_MAX)
  {
    grew = 0 ;
    for (unsigned int i = 0 ; i < q.nlinks && q.n <= LINKS_MAX ; i++)
    {
      int hn = qids_has(&q, q.links[i][0]), ho = qids_has(&q, q.links[i][1]) ;
      if (hn == ho) continue ;
      memcpy(q.v[q.n++], q.links[i][hn ? 1 : 0], QID_MAX + 1) ;
      grew = 1 ;
    }
  }
  names.len = 0 ;
  each_line(dir.s, 1, &qid_line, &q) ;
  if (!genalloc_len(logl, &lines)) strerr_dief2x(1, "no log line about ", argv[0]) ;
  print_sorted(0) ;
  stralloc_free(&dir) ;
  return 0 ;
}

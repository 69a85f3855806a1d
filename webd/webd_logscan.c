/* ISC license. */

/* The incremental log reader (webd_logscan.h). Each scrape, for each
 * service directory: if current is the file we stopped in (same device
 * and inode), read on from the offset (from 0 if it shrank); if not,
 * s6-log rotated it: finish the old file, found again among the
 * @<stamp>.s files by its inode (gone: that part is lost), then every
 * file archived after it (several rotations between two scrapes), then
 * the new current from 0. Only whole lines count; a partial last line
 * waits for the next scrape. At most SCAN_BUDGET bytes per scrape: a
 * huge backlog is caught up over several scrapes, and a scrape stays
 * quick. The state is phweb's own file, still read with bounds. */

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>

#include "common/config.h"
#include "webd.h"
#include "webd_logscan.h"

#define SERVICES_MAX 256
#define STATE_MAX 65536
#define CHUNK 65536
#define SCAN_BUDGET (32u << 20)

char const *const webd_counter_names[WC_N] = { "received", "delivered", "deferred", "bounced", "auth_failures" } ;

typedef struct rule_s rule ;
struct rule_s
{
  char const *prog ;
  char const *event ;
  unsigned int counter ;
} ;

static rule const rules[] =
{
  { "queued-inject", "injected", WC_RECEIVED },
  { "queued", "delivered", WC_DELIVERED },
  { "queued", "deferred", WC_DEFERRED },
  { "queued", "failed", WC_BOUNCED },
  { "authd", "auth_fail", WC_AUTHFAIL },
  { 0, 0, 0 }
} ;

typedef struct svc_s svc ;
struct svc_s
{
  char name[64] ;
  uint64_t dev ;
  uint64_t ino ;
  uint64_t off ;
} ;

static svc svcs[SERVICES_MAX] ;
static unsigned int nsvcs ;
static char chunk[CHUNK] ;

static void path2 (stralloc *sa, char const *a, char const *b)
{
  sa->len = 0 ;
  webd_cats(sa, a) ; webd_cats(sa, "/") ; webd_cats(sa, b) ; webd_catb(sa, "", 1) ;
}

static char const *state_dir (stralloc *sa)
{
  char const *x = config_get("PH_METRICS_DIR") ;
  if (x) return x ;
  x = config_get("PH_STATE") ;
  if (!x) strerr_dienotset(100, "PH_STATE") ;
  path2(sa, x, "metrics") ;
  return sa->s ;
}

static char const *log_dir (stralloc *sa)
{
  char const *x = config_get("PH_LOG_DIR") ;
  if (x) return x ;
  x = config_get("PH_STATE") ;
  if (!x) strerr_dienotset(100, "PH_STATE") ;
  path2(sa, x, "log") ;
  return sa->s ;
}

static int name_ok (char const *s)
{
  size_t n = strlen(s) ;
  if (!n || n >= 64 || s[0] == '.') return 0 ;
  for (size_t i = 0 ; i < n ; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.')) return 0 ;
  return 1 ;
}

static void count_line (char const *s, size_t len, webd_counts *c)
{
  char const *e = memmem(s, len, ": event=", 8) ;
  char const *p ;
  size_t plen, elen ;
  if (!e) return ;
  p = e ;
  while (p > s && p[-1] != ' ') p-- ;
  plen = (size_t)(e - p) ;
  e += 8 ;
  elen = 0 ;
  while (e + elen < s + len && e[elen] != ' ') elen++ ;
  for (rule const *r = rules ; r->prog ; r++)
    if (strlen(r->prog) == plen && !memcmp(r->prog, p, plen) && strlen(r->event) == elen && !memcmp(r->event, e, elen))
    {
      c->count[r->counter]++ ;
      return ;
    }
}

/* Counts the whole lines of fd from *off; advances *off past the last
 * one read. */
static void read_from (int fd, uint64_t *off, webd_counts *c, size_t *budget)
{
  while (*budget)
  {
    size_t want = *budget < CHUNK ? *budget : CHUNK ;
    ssize_t r = pread(fd, chunk, want, (off_t)*off) ;
    char const *lastlf ;
    size_t start = 0 ;
    if (r <= 0) return ;
    lastlf = memrchr(chunk, '\n', (size_t)r) ;
    if (!lastlf)
    {
      if ((size_t)r < CHUNK) return ;   /* a partial line: wait */
      *off += (uint64_t)r ;             /* no log line is this long: skip it */
      *budget -= (size_t)r ;
      continue ;
    }
    for (size_t i = 0 ; i <= (size_t)(lastlf - chunk) ; i++)
      if (chunk[i] == '\n') { count_line(chunk + start, i - start, c) ; start = i + 1 ; }
    *off += (uint64_t)start ;
    *budget -= start ;
  }
}

/* The archived file (s6-log's @<tai64n>.s or .u) of dir with this
 * inode, opened, its name in name (256 bytes); or -1. */
static int open_rotated (char const *dir, uint64_t dev, uint64_t ino, char *name)
{
  DIR *d = opendir(dir) ;
  stralloc p = STRALLOC_ZERO ;
  int fd = -1 ;
  if (!d) return -1 ;
  for (;;)
  {
    struct dirent *de ;
    struct stat st ;
    errno = 0 ;
    de = readdir(d) ;
    if (!de) break ;
    if (de->d_name[0] != '@' || strlen(de->d_name) > 255) continue ;
    path2(&p, dir, de->d_name) ;
    if (stat(p.s, &st) == 0 && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
    {
      fd = open_read(p.s) ;
      if (fd >= 0) memcpy(name, de->d_name, strlen(de->d_name) + 1) ;
      break ;
    }
  }
  dir_close(d) ;
  stralloc_free(&p) ;
  return fd ;
}

/* The archived file that came next after name (the smallest name above
 * it: tai64n stamps sort by time), opened, its name in name; or -1. */
static int open_next_archived (char const *dir, char *name)
{
  DIR *d = opendir(dir) ;
  stralloc p = STRALLOC_ZERO ;
  char best[256] ;
  int fd = -1 ;
  best[0] = 0 ;
  if (!d) return -1 ;
  for (;;)
  {
    struct dirent *de ;
    errno = 0 ;
    de = readdir(d) ;
    if (!de) break ;
    if (de->d_name[0] != '@' || strlen(de->d_name) > 255 || strcmp(de->d_name, name) <= 0) continue ;
    if (!best[0] || strcmp(de->d_name, best) < 0) memcpy(best, de->d_name, strlen(de->d_name) + 1) ;
  }
  dir_close(d) ;
  if (best[0])
  {
    path2(&p, dir, best) ;
    fd = open_read(p.s) ;
    if (fd >= 0) memcpy(name, best, strlen(best) + 1) ;
  }
  stralloc_free(&p) ;
  return fd ;
}

/* current was rotated since the last scrape: finish the file we were
 * in, then every file archived after it, oldest first. Returns 1 when
 * done (go on with the new current from 0), 0 when the budget ran out
 * (s says where to go on next time). */
static int catch_up (char const *dir, svc *s, webd_counts *c, size_t *budget)
{
  char name[256] ;
  int fd = open_rotated(dir, s->dev, s->ino, name) ;
  if (fd < 0) return 1 ;   /* gone: that part is lost */
  for (unsigned int i = 0 ; i < 64 ; i++)
  {
    struct stat st ;
    read_from(fd, &s->off, c, budget) ;
    fd_close(fd) ;
    if (!*budget) return 0 ;
    fd = open_next_archived(dir, name) ;
    if (fd < 0) return 1 ;
    if (fstat(fd, &st) < 0) { fd_close(fd) ; return 1 ; }
    s->dev = (uint64_t)st.st_dev ;
    s->ino = (uint64_t)st.st_ino ;
    s->off = 0 ;
  }
  fd_close(fd) ;
  return 1 ;
}

static svc *svc_find (char const *name)
{
  for (unsigned int i = 0 ; i < nsvcs ; i++) if (!strcmp(svcs[i].name, name)) return svcs + i ;
  if (nsvcs >= SERVICES_MAX) return 0 ;
  memset(svcs + nsvcs, 0, sizeof(svc)) ;
  memcpy(svcs[nsvcs].name, name, strlen(name) + 1) ;
  return svcs + nsvcs++ ;
}

/* One pass over the log directories: scan (read new lines) or, for the
 * zero, just take every current's end. */
static void pass (webd_counts *c, int zero)
{
  stralloc sa = STRALLOC_ZERO, dir = STRALLOC_ZERO, cur = STRALLOC_ZERO ;
  char const *top = log_dir(&sa) ;
  size_t budget = SCAN_BUDGET ;
  DIR *d = opendir(top) ;
  if (!d) { stralloc_free(&sa) ; return ; }   /* no logs yet: nothing to count */
  for (;;)
  {
    struct dirent *de ;
    struct stat st ;
    svc *s ;
    int fd ;
    errno = 0 ;
    de = readdir(d) ;
    if (!de) break ;
    if (!name_ok(de->d_name)) continue ;
    path2(&dir, top, de->d_name) ;
    path2(&cur, dir.s, "current") ;
    fd = open_read(cur.s) ;
    if (fd < 0) continue ;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(s = svc_find(de->d_name))) { fd_close(fd) ; continue ; }
    if (zero) s->off = (uint64_t)st.st_size ;
    else
    {
      if (s->ino && (s->dev != (uint64_t)st.st_dev || s->ino != (uint64_t)st.st_ino))
      {
        if (!catch_up(dir.s, s, c, &budget)) { fd_close(fd) ; continue ; }
        s->off = 0 ;
      }
      else if ((uint64_t)st.st_size < s->off) s->off = 0 ;
      read_from(fd, &s->off, c, &budget) ;
    }
    s->dev = (uint64_t)st.st_dev ;
    s->ino = (uint64_t)st.st_ino ;
    fd_close(fd) ;
  }
  dir_close(d) ;
  stralloc_free(&sa) ; stralloc_free(&dir) ; stralloc_free(&cur) ;
}

static uint64_t field_u64 (char const **s)
{
  uint64_t u = 0 ;
  size_t n ;
  while (**s == ' ') (*s)++ ;
  n = uint64_scan(*s, &u) ;
  *s += n ;
  return u ;
}

static void state_load (char const *path, webd_counts *c)
{
  static char buf[STATE_MAX + 1] ;
  ssize_t r = openreadnclose(path, buf, STATE_MAX) ;
  char *line = buf ;
  nsvcs = 0 ;
  memset(c, 0, sizeof(*c)) ;
  if (r <= 0) return ;
  buf[r] = 0 ;
  while (*line)
  {
    char *lf = strchr(line, '\n') ;
    char const *s ;
    if (!lf) break ;
    *lf = 0 ;
    if (!strncmp(line, "since ", 6)) { s = line + 6 ; c->since = field_u64(&s) ; }
    else if (!strncmp(line, "c ", 2))
    {
      for (unsigned int i = 0 ; i < WC_N ; i++)
      {
        size_t n = strlen(webd_counter_names[i]) ;
        if (!strncmp(line + 2, webd_counter_names[i], n) && line[2 + n] == ' ')
        {
          s = line + 2 + n ;
          c->count[i] = field_u64(&s) ;
        }
      }
    }
    else if (!strncmp(line, "f ", 2))
    {
      char *sp = strchr(line + 2, ' ') ;
      svc *v ;
      if (sp)
      {
        *sp = 0 ;
        if (name_ok(line + 2) && (v = svc_find(line + 2)))
        {
          s = sp + 1 ;
          v->dev = field_u64(&s) ; v->ino = field_u64(&s) ; v->off = field_u64(&s) ;
        }
      }
    }
    line = lf + 1 ;
  }
}

static int state_save (char const *path, webd_counts const *c)
{
  stralloc sa = STRALLOC_ZERO ;
  int ok ;
  webd_cats(&sa, "since ") ; webd_catu(&sa, c->since) ; webd_cats(&sa, "\n") ;
  for (unsigned int i = 0 ; i < WC_N ; i++)
  {
    webd_cats(&sa, "c ") ; webd_cats(&sa, webd_counter_names[i]) ; webd_cats(&sa, " ") ;
    webd_catu(&sa, c->count[i]) ; webd_cats(&sa, "\n") ;
  }
  for (unsigned int i = 0 ; i < nsvcs ; i++)
  {
    webd_cats(&sa, "f ") ; webd_cats(&sa, svcs[i].name) ; webd_cats(&sa, " ") ;
    webd_catu(&sa, svcs[i].dev) ; webd_cats(&sa, " ") ; webd_catu(&sa, svcs[i].ino) ; webd_cats(&sa, " ") ;
    webd_catu(&sa, svcs[i].off) ; webd_cats(&sa, "\n") ;
  }
  /* metrics, not mail: a crash loses at most one scrape, no fsync */
  ok = openwritenclose_suffix(path, sa.s, sa.len, ".tmp") ;
  stralloc_free(&sa) ;
  return ok ;
}

static int locked (stralloc *sa, stralloc *st)
{
  char const *dir = state_dir(sa) ;
  stralloc lk = STRALLOC_ZERO ;
  int fd ;
  path2(&lk, dir, "lock") ;
  path2(st, dir, "state") ;
  fd = open(lk.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600) ;
  stralloc_free(&lk) ;
  if (fd < 0) return -1 ;
  if (fd_lock(fd, 1, 0) < 1) { fd_close(fd) ; return -1 ; }
  return fd ;
}

int webd_logscan (webd_counts *c)
{
  stralloc sa = STRALLOC_ZERO, st = STRALLOC_ZERO ;
  int fd = locked(&sa, &st), ok ;
  if (fd < 0) { stralloc_free(&sa) ; stralloc_free(&st) ; return 0 ; }
  state_load(st.s, c) ;
  pass(c, 0) ;
  ok = state_save(st.s, c) ;
  fd_close(fd) ;
  stralloc_free(&sa) ; stralloc_free(&st) ;
  return ok ;
}

void webd_logscan_zero (void)
{
  stralloc sa = STRALLOC_ZERO, st = STRALLOC_ZERO ;
  webd_counts c ;
  int fd = locked(&sa, &st) ;
  if (fd < 0) strerr_diefu2sys(111, "lock the metrics state in ", sa.s ? sa.s : "$PH_METRICS_DIR") ;
  memset(&c, 0, sizeof(c)) ;
  nsvcs = 0 ;
  c.since = (uint64_t)time(0) ;
  pass(&c, 1) ;
  if (!state_save(st.s, &c)) strerr_diefu2sys(111, "write ", st.s) ;
  fd_close(fd) ;
  stralloc_free(&sa) ; stralloc_free(&st) ;
}

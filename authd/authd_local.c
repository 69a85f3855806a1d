/* ISC license. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "authd.h"

/* Local peers (any uid not in PH_AUTH_RIP_UIDS) name no client address
 * banwatch could count, and could open as many connections as they like,
 * so they are counted here, per uid, across connections:
 *
 * - $PH_STATE/authd-local/<uid> holds "<tai sec> <nano> <fails>\n": the
 *   earliest time the uid's next answer may leave, and its failures since
 *   it was last quiet for AUTHD_LOCAL_FORGET seconds. A check takes the
 *   file's lock and keeps it until the outcome is written back, so one
 *   uid's checks are serialized. Each answer leaves no earlier than the
 *   stored time; each failure pushes that time by a delay doubling per
 *   failure (the failure delay, at least 1 s, up to AUTHD_LOCAL_DELAY_MAX).
 *   So a uid learns at most one answer per delay, however many
 *   connections it uses. The file is not fsynced: a crash forgets the
 *   count, which only shortens the next delay.
 * - $PH_STATE/authd-local/<uid>.conn<N>: one uid holds at most
 *   AUTHD_LOCAL_CONNS connections (a lock held until the process exits),
 *   so it cannot take all of s6-ipcserver's slots from the daemons.
 *
 * The directory is phauth's alone (package/service/authd/run). */

#define STATE_MAX 64

static int open_in (authd_local const *l, char const *suffix, unsigned int n, int *fd)
{
  stralloc path = STRALLOC_ZERO ;
  struct stat st ;
  char fmt[UINT_FMT] ;
  errno = 0 ;
  int ok = stralloc_cats(&path, l->dir) && stralloc_catb(&path, "/", 1)
    && stralloc_cats(&path, l->uid) && stralloc_cats(&path, suffix) ;
  if (ok && suffix[0]) ok = stralloc_catb(&path, fmt, uint_fmt(fmt, n)) ;
  if (!ok || !stralloc_0(&path)) { stralloc_free(&path) ; return 0 ; }
  *fd = open(path.s, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600) ;
  stralloc_free(&path) ;
  if (*fd < 0) return 0 ;
  if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode))
  {
    int e = errno ;
    if (!e || e == EAGAIN) e = EPROTO ;
    fd_close(*fd) ;
    errno = e ;
    return 0 ;
  }
  return 1 ;
}

int authd_local_connect (authd_local *l)
{
  for (unsigned int i = 0 ; i < AUTHD_LOCAL_CONNS ; i++)
  {
    int fd, r ;
    if (!open_in(l, ".conn", i, &fd)) return -1 ;
    r = fd_lock(fd, 1, 1) ;
    if (r > 0) { l->conn = fd ; return 1 ; }
    fd_close(fd) ;
    if (r < 0) return -1 ;
  }
  return 0 ;
}

/* "<sec> <nano> <fails>\n"; anything else (a new, empty file) is no
 * history. */
static void parse (char const *s, size_t len, tain *next, uint32_t *fails)
{
  uint64_t sec ;
  uint32_t nano, f ;
  size_t i = 0, n ;
  *next = tain_zero ;
  *fails = 0 ;
  if (!len || s[len - 1] != '\n') return ;
  n = uint64_scan(s, &sec) ; if (!n || s[n] != ' ') return ; i = n + 1 ;
  n = uint32_scan(s + i, &nano) ; if (!n || s[i + n] != ' ' || nano >= 1000000000) return ; i += n + 1 ;
  n = uint32_scan(s + i, &f) ; if (!n || s[i + n] != '\n') return ;
  next->sec.x = sec ;
  next->nano = nano ;
  *fails = f ;
}

int authd_local_begin (void *ctx, tain const *now, tain *slot)
{
  authd_local *l = ctx ;
  char buf[STATE_MAX] ;
  tain next, forget ;
  ssize_t r ;
  if (!open_in(l, "", 0, &l->fd)) return 0 ;
  if (fd_lock(l->fd, 1, 0) <= 0) goto err ;
  r = fd_read(l->fd, buf, sizeof(buf)) ;
  if (r < 0) goto err ;
  parse(buf, r, &next, &l->fails) ;
  tain_uint(&forget, AUTHD_LOCAL_FORGET) ;
  tain_add(&forget, &forget, &next) ;
  if (tain_less(&forget, now)) l->fails = 0 ;
  l->slot = tain_less(&next, now) ? *now : next ;
  *slot = l->slot ;
  return 1 ;
 err:
  {
    int e = errno ;
    fd_close(l->fd) ;
    l->fd = -1 ;
    errno = e ;
  }
  return 0 ;
}

void authd_local_end (void *ctx, int failed)
{
  authd_local *l = ctx ;
  if (l->fd < 0) return ;
  if (failed)
  {
    char buf[STATE_MAX] ;
    size_t len = 0 ;
    unsigned int delay = l->base ? l->base : 1 ;
    tain next, d ;
    for (uint32_t i = 0 ; i < l->fails && delay < AUTHD_LOCAL_DELAY_MAX ; i++) delay <<= 1 ;
    if (delay > AUTHD_LOCAL_DELAY_MAX) delay = AUTHD_LOCAL_DELAY_MAX ;
    tain_uint(&d, delay) ;
    tain_add(&next, &l->slot, &d) ;
    if (l->fails < UINT32_MAX) l->fails++ ;
    len += uint64_fmt(buf + len, next.sec.x) ; buf[len++] = ' ' ;
    len += uint32_fmt(buf + len, next.nano) ; buf[len++] = ' ' ;
    len += uint32_fmt(buf + len, l->fails) ; buf[len++] = '\n' ;
    if (lseek(l->fd, 0, SEEK_SET) < 0 || ftruncate(l->fd, 0) < 0 || allwrite(l->fd, buf, len) < len)
      log_event2("auth_local_error", "uid", l->uid, "error", strerror(errno)) ;
  }
  fd_close(l->fd) ;  /* and the lock with it */
  l->fd = -1 ;
}

int authd_uid_listed (char const *list, uint64_t uid)
{
  int found = !uid ;
  if (!list) return found ;
  while (*list)
  {
    uint64_t u ;
    size_t n = uint64_scan(list, &u) ;
    if (!n) return -1 ;
    if (u == uid) found = 1 ;
    list += n ;
    if (*list == ',') list++ ;
    else if (*list) return -1 ;
  }
  return found ;
}

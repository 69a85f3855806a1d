/* ISC license. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/fmtscan.h>
#include <skalibs/random.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/log.h"
#include "authd.h"

/* One-time tickets (docs/internals.md, "Tickets"): the file name is the
 * secret, the content says who logged in, for what, from where, until
 * when. authd writes them; authd -m claims them. Not fsynced: a ticket
 * lost in a crash only costs the client a new login. */

#define SWEEP_LOOK_MAX 1024   /* directory entries examined per sweep */

int authd_ticket_hex_valid (char const *s, size_t len)
{
  if (len != AUTHD_TICKET_HEX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return 1 ;
}

/* text0: user=..\0service=..\0rip=..\0expires=..\0, each once, in any
 * order; unknown fields are ignored (a later version may add some). */
int authd_ticket_parse (char *buf, size_t len, authd_ticket *t)
{
  size_t pos = 0 ;
  int have_expires = 0 ;
  t->user = t->service = t->rip = 0 ;
  t->expires = 0 ;
  if (!len || buf[len - 1]) return (errno = EPROTO, 0) ;
  while (pos < len)
  {
    char *f = buf + pos ;
    size_t flen = strlen(f) ;
    pos += flen + 1 ;
    if (!strncmp(f, "user=", 5)) { if (t->user) return (errno = EPROTO, 0) ; t->user = f + 5 ; }
    else if (!strncmp(f, "service=", 8)) { if (t->service) return (errno = EPROTO, 0) ; t->service = f + 8 ; }
    else if (!strncmp(f, "rip=", 4)) { if (t->rip) return (errno = EPROTO, 0) ; t->rip = f + 4 ; }
    else if (!strncmp(f, "expires=", 8))
    {
      if (have_expires || !f[8] || flen - 8 > 20 || uint640_scan(f + 8, &t->expires) != flen - 8) return (errno = EPROTO, 0) ;
      have_expires = 1 ;
    }
  }
  if (!t->user || !t->user[0] || !t->service || !have_expires) return (errno = EPROTO, 0) ;
  if (!t->rip) t->rip = "" ;
  return 1 ;
}

int authd_ticket_read (int fd, char *buf, authd_ticket *t)
{
  struct stat st ;
  size_t len ;
  if (fstat(fd, &st) < 0) return 0 ;
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > AUTHD_TICKET_FILE_MAX) return (errno = EPROTO, 0) ;
  len = allread(fd, buf, AUTHD_TICKET_FILE_MAX) ;
  if (!len && errno) return 0 ;
  return authd_ticket_parse(buf, len, t) ;
}

/* Removes expired tickets (and claims left behind by an authd -m that
 * died between its rename and its unlink), at most AUTHD_TICKET_SWEEP.
 * Best effort: a failure here never refuses a login. */
static void sweep (int dfd, uint64_t now)
{
  DIR *d ;
  unsigned int looked = 0, removed = 0 ;
  int fd2 = dup(dfd) ;
  if (fd2 < 0) return ;
  d = fdopendir(fd2) ;
  if (!d) { fd_close(fd2) ; return ; }
  while (looked < SWEEP_LOOK_MAX && removed < AUTHD_TICKET_SWEEP)
  {
    char buf[AUTHD_TICKET_FILE_MAX] ;
    authd_ticket t ;
    struct dirent *e ;
    size_t n ;
    int fd, ok ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) break ;
    looked++ ;
    n = strlen(e->d_name) ;
    if (!authd_ticket_hex_valid(e->d_name, n < AUTHD_TICKET_HEX ? n : AUTHD_TICKET_HEX)) continue ;
    if (n != AUTHD_TICKET_HEX && !strcmp(e->d_name + AUTHD_TICKET_HEX, ".new"))
    {
      /* Being written by another authd right now, or left by one that
       * died mid-write: only the second kind, by its age, is removed. */
      struct stat st ;
      if (!fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) && (uint64_t)st.st_mtime + 60 < now
       && !unlinkat(dfd, e->d_name, 0)) removed++ ;
      continue ;
    }
    if (n != AUTHD_TICKET_HEX && strcmp(e->d_name + AUTHD_TICKET_HEX, ".claimed")) continue ;
    fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) ;
    if (fd < 0) continue ;
    ok = authd_ticket_read(fd, buf, &t) ;
    fd_close(fd) ;
    /* A file that is no ticket was not written by us: drop it too. */
    if ((!ok && errno == EPROTO) || (ok && t.expires < now))
      if (!unlinkat(dfd, e->d_name, 0)) removed++ ;
  }
  closedir(d) ;
}

int authd_ticket_issue (void *ctx, char const *user, char const *service, char const *rip, char *hex)
{
  authd_tickets const *tk = ctx ;
  stralloc sa = STRALLOC_ZERO ;
  char rnd[AUTHD_TICKET_HEX / 2] ;
  char fmt[UINT64_FMT] ;
  char tmpname[AUTHD_TICKET_HEX + 5] ;
  uint64_t now = (uint64_t)time(0) ;
  int dfd, fd, e ;
  dfd = open(tk->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  if (dfd < 0) return 0 ;
  sweep(dfd, now) ;
  fmt[uint64_fmt(fmt, now + tk->ttl)] = 0 ;
  if (!stralloc_cats(&sa, "user=") || !stralloc_cats(&sa, user) || !stralloc_0(&sa)
   || !stralloc_cats(&sa, "service=") || !stralloc_cats(&sa, service) || !stralloc_0(&sa)
   || !stralloc_cats(&sa, "rip=") || !stralloc_cats(&sa, rip) || !stralloc_0(&sa)
   || !stralloc_cats(&sa, "expires=") || !stralloc_cats(&sa, fmt) || !stralloc_0(&sa)) goto err ;
  random_buf(rnd, sizeof(rnd)) ;
  hex[ucharn_fmt(hex, rnd, sizeof(rnd))] = 0 ;
  explicit_bzero(rnd, sizeof(rnd)) ;
  /* Written under "<hex>.new", then linked to "<hex>": a ticket is never
   * seen half written (another authd's sweep would take an empty file
   * for junk, and authd -m would refuse it). link(2), like O_EXCL, never
   * replaces a name that exists (2^256 makes a collision moot, but one
   * must not hand out someone else's ticket). */
  memcpy(tmpname, hex, AUTHD_TICKET_HEX) ;
  memcpy(tmpname + AUTHD_TICKET_HEX, ".new", 5) ;
  fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) ;
  if (fd < 0) goto err ;
  if (allwrite(fd, sa.s, sa.len) != sa.len)
  {
    e = errno ;
    fd_close(fd) ;
    unlinkat(dfd, tmpname, 0) ;
    errno = e ;
    goto err ;
  }
  if (close(fd) < 0 || linkat(dfd, tmpname, dfd, hex, 0) < 0)
  {
    e = errno ; unlinkat(dfd, tmpname, 0) ; errno = e ; goto err ;
  }
  unlinkat(dfd, tmpname, 0) ;
  fd_close(dfd) ;
  stralloc_free(&sa) ;
  return 1 ;
 err:
  e = errno ;
  fd_close(dfd) ;
  stralloc_free(&sa) ;
  explicit_bzero(hex, AUTHD_TICKET_HEX + 1) ;
  errno = e ;
  return 0 ;
}

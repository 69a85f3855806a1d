/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>

#include "common/config.h"
#include "common/spamlearn.h"

char spamlearn_answer[SPAMLEARN_ANSWER_MAX] ;

/* 1 when fd may be ready (or a signal came: the caller tries again) */
static int wait_for (int fd, int events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events } ;
  int r = iopause_stamp(&x, 1, deadline, &STAMP) ;
  if (r < 0) return errno == EINTR ;
  if (!r) return (errno = ETIMEDOUT, 0) ;
  return 1 ;
}

static int put (int s, char const *p, size_t n, tain const *deadline)
{
  while (n)
  {
    ssize_t r = fd_write(s, p, n) ;
    if (r > 0) { p += r ; n -= (size_t)r ; continue ; }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    if (!wait_for(s, IOPAUSE_WRITE, deadline)) return 0 ;
  }
  return 1 ;
}

static int get_answer (int s, tain const *deadline)
{
  size_t n = 0 ;
  for (;;)
  {
    ssize_t r ;
    char *nl = memchr(spamlearn_answer, '\n', n) ;
    if (nl)
    {
      *nl = 0 ;
      if (spamlearn_answer[0] == 'K') return 1 ;
      return (errno = EPROTO, 0) ;
    }
    if (n >= sizeof(spamlearn_answer) - 1) return (errno = EPROTO, 0) ;
    r = fd_read(s, spamlearn_answer + n, sizeof(spamlearn_answer) - 1 - n) ;
    if (r > 0) { n += (size_t)r ; spamlearn_answer[n] = 0 ; continue ; }
    if (!r) return (errno = EPROTO, 0) ;   /* closed without an answer */
    if (errno != EAGAIN && errno != EWOULDBLOCK) return 0 ;
    if (!wait_for(s, IOPAUSE_READ, deadline)) return 0 ;
  }
}

int spamlearn_send (char const *user, int is_spam, int fd, tain const *deadline)
{
  char path[4096] ;
  char buf[8192] ;
  char const *dir = config_get("PH_RUN_DIR") ;
  size_t ulen = strlen(user), sent = 0, dl ;
  int s, e ;
  spamlearn_answer[0] = 0 ;
  if (!ulen || ulen > SPAMLEARN_USER_MAX || strpbrk(user, " \t\r\n")) return (errno = EINVAL, 0) ;
  if (!dir) return (errno = ENOENT, 0) ;
  dl = strlen(dir) ;
  if (dl + 12 > sizeof(path)) return (errno = ENAMETOOLONG, 0) ;
  memcpy(path, dir, dl) ;
  memcpy(path + dl, "/learn.sock", 12) ;
  s = ipc_stream_nb() ;
  if (s < 0) return 0 ;
  tain_now_g() ;
  if (!ipc_timed_connect(s, path, deadline, &STAMP)) goto err ;
  {
    size_t n = 0 ;
    memcpy(buf, is_spam ? "learn spam " : "learn ham ", is_spam ? 11 : 10) ;
    n = is_spam ? 11 : 10 ;
    memcpy(buf + n, user, ulen) ;
    n += ulen ;
    buf[n++] = '\n' ;
    if (!put(s, buf, n, deadline)) goto err ;
  }
  while (sent < SPAMLEARN_MESSAGE_MAX)
  {
    size_t want = SPAMLEARN_MESSAGE_MAX - sent < sizeof(buf) ? SPAMLEARN_MESSAGE_MAX - sent : sizeof(buf) ;
    ssize_t r = read(fd, buf, want) ;
    if (r < 0) { if (errno == EINTR) continue ; goto err ; }
    if (!r) break ;
    if (!put(s, buf, (size_t)r, deadline)) goto err ;
    sent += (size_t)r ;
    tain_now_g() ;
  }
  if (shutdown(s, SHUT_WR) < 0) goto err ;
  if (!get_answer(s, deadline)) goto err ;
  fd_close(s) ;
  return 1 ;
 err:
  e = errno ;
  fd_close(s) ;
  errno = e ;
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/iopause.h>
#include <skalibs/tai.h>

#include "common/policyclient.h"

/* Builds "name=value\n" lines and the empty line into req. Returns the
 * length, or 0 with errno. */
static size_t build (policyattr const *attrs, unsigned int n, char *req)
{
  size_t len = 0 ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    char const *v = attrs[i].value ? attrs[i].value : "" ;
    size_t nlen = strlen(attrs[i].name) ;
    size_t vlen = strlen(v) ;
    if (!nlen || memchr(attrs[i].name, '=', nlen) || memchr(attrs[i].name, '\n', nlen) || memchr(v, '\n', vlen))
      return (errno = EINVAL, 0) ;
    if (len + nlen + vlen + 3 > POLICYCLIENT_REQUEST_MAX) return (errno = EMSGSIZE, 0) ;
    memcpy(req + len, attrs[i].name, nlen) ; len += nlen ;
    req[len++] = '=' ;
    memcpy(req + len, v, vlen) ; len += vlen ;
    req[len++] = '\n' ;
  }
  req[len++] = '\n' ;
  return len ;
}

static int wait_for (int fd, short events, tain const *deadline)
{
  iopause_fd x = { .fd = fd, .events = events } ;
  int r = iopause_stamp(&x, 1, deadline, &STAMP) ;
  if (r < 0) return 0 ;
  if (!r) return (errno = ETIMEDOUT, 0) ;
  return 1 ;
}

static int send_all (int fd, char const *s, size_t len, tain const *deadline)
{
  while (len)
  {
    ssize_t r = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT) ;
    if (r < 0)
    {
      if (errno == EINTR) continue ;
      if (!error_isagain(errno)) return 0 ;
      if (!wait_for(fd, IOPAUSE_WRITE, deadline)) return 0 ;
      continue ;
    }
    s += r ;
    len -= (size_t)r ;
  }
  return 1 ;
}

/* Reads until one whole reply is there; anything past it is a protocol
 * error (the service may only answer what it was asked). */
static int read_reply (int fd, char *action, size_t max, tain const *deadline)
{
  char buf[POLICYCLIENT_REPLY_MAX] ;
  size_t len = 0 ;
  for (;;)
  {
    ssize_t r = sanitize_read(fd_read(fd, buf + len, sizeof(buf) - len)) ;
    if (r < 0) return 0 ;   /* EPIPE: closed by the service */
    if (!r)
    {
      if (!wait_for(fd, IOPAUSE_READ, deadline)) return 0 ;
      continue ;
    }
    len += (size_t)r ;
    r = policyclient_reply_parse(buf, len, action, max) ;
    if (r < 0) return 0 ;
    if (r > 0) return (size_t)r == len ? 1 : (errno = EPROTO, 0) ;
    if (len == sizeof(buf)) return (errno = EPROTO, 0) ;
  }
}

/* Between requests the service has nothing to say: bytes waiting now
 * would be taken for the next answer, and EOF means it closed the idle
 * connection. Either way, start afresh. */
static void check_idle (policyclient *p)
{
  char c ;
  ssize_t r ;
  if (p->fd < 0) return ;
  do r = recv(p->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) ;
  while (r < 0 && errno == EINTR) ;
  if (r < 0 && error_isagain(errno)) return ;
  policyclient_close(p) ;
}

int policyclient_query (policyclient *p, policyattr const *attrs, unsigned int n, char *action, size_t max, tain const *deadline)
{
  char req[POLICYCLIENT_REQUEST_MAX] ;
  size_t len = build(attrs, n, req) ;
  if (!len) return 0 ;
  check_idle(p) ;
  for (unsigned int attempt = 0 ; attempt < 2 ; attempt++)
  {
    int reused = p->fd >= 0 && p->requests > 0 ;
    int e ;
    if (!policyclient_connect(p, deadline)) return 0 ;
    if (send_all(p->fd, req, len, deadline) && read_reply(p->fd, action, max, deadline))
    {
      p->requests++ ;
      return 1 ;
    }
    e = errno ;
    policyclient_close(p) ;
    errno = e ;
    /* A service that closed an idle connection shows it only now. */
    if (!reused || (e != EPIPE && e != ECONNRESET)) return 0 ;
  }
  return 0 ;
}

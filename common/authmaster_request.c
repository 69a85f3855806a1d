/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>

#include "common/lineio.h"
#include "common/authmaster.h"

static ssize_t send_nosig (int fd, struct iovec const *v, unsigned int n)
{
  struct msghdr h = { .msg_iov = (struct iovec *)v, .msg_iovlen = n } ;
  return sendmsg(fd, &h, MSG_NOSIGNAL) ;
}

static int ticket_ok (char const *s)
{
  size_t len = strlen(s) ;
  if (len != 64) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return 1 ;
}

int authmaster_request (char const *path, char const *ticket, char const *service, authmaster_user *u, tain const *deadline)
{
  return authmaster_request_rip(path, ticket, service, 0, u, deadline) ;
}

int authmaster_request_rip (char const *path, char const *ticket, char const *service, char const *rip, authmaster_user *u, tain const *deadline)
{
  size_t riplen = rip ? strlen(rip) : 0 ;
  char inbuf[AUTHMASTER_LINE_MAX + 2] ;
  char outbuf[256] ;
  char line[AUTHMASTER_LINE_MAX + 2] ;
  buffer in, out ;
  unsigned int flags ;
  size_t len ;
  int fd, r ;
  if (!ticket_ok(ticket) || (strcmp(service, "imap") && strcmp(service, "pop3"))) return (errno = EINVAL, 0) ;
  if (riplen > AUTHMASTER_RIP_MAX || (riplen && strpbrk(rip, "\t\r\n "))) return (errno = EINVAL, 0) ;
  fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  tain_now_g() ;
  if (!ipc_timed_connect(fd, path, deadline, &STAMP)) goto err ;
  buffer_init(&in, &buffer_read, fd, inbuf, sizeof(inbuf)) ;
  buffer_init(&out, &send_nosig, fd, outbuf, sizeof(outbuf)) ;
  {
    char req[96 + AUTHMASTER_RIP_MAX] ;
    size_t n = 0 ;
    memcpy(req, "REQUEST\t1\t", 10) ; n = 10 ;
    memcpy(req + n, ticket, 64) ; n += 64 ;
    memcpy(req + n, "\tservice=", 9) ; n += 9 ;
    memcpy(req + n, service, 4) ; n += 4 ;
    if (riplen)
    {
      memcpy(req + n, "\trip=", 5) ; n += 5 ;
      memcpy(req + n, rip, riplen) ; n += riplen ;
    }
    req[n++] = '\n' ;
    if (!lineio_put(&out, req, n, deadline)) goto err ;
  }
  r = lineio_get(&in, line, sizeof(line), &len, &flags, deadline) ;
  if (!r) { errno = EPIPE ; goto err ; }
  if (r < 0) { if (errno == ERANGE) errno = EPROTO ; goto err ; }
  if (flags & (LINEIO_NUL | LINEIO_BARECR | LINEIO_CRLF)) { errno = EPROTO ; goto err ; }
  r = authmaster_reply_parse(line, len, 1, u) ;
  if (!r) goto err ;
  fd_close(fd) ;
  return r ;
 err:
  fd_close(fd) ;   /* skalibs' fd_close keeps errno */
  return 0 ;
}

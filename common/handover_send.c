/* ISC license. */

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/error.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>
#include <skalibs/unixmessage.h>

#include "common/handover.h"

/* The answer: 'K' alone, or 'Z'/'D' and a text up to EOF. We stop at
 * 'K' without waiting for EOF: the session has taken the client. */
static int read_answer (int fd, char *text, size_t textmax, tain const *deadline)
{
  char buf[HANDOVER_ANSWER_MAX + 1] ;
  size_t len = 0 ;
  for (;;)
  {
    ssize_t r ;
    if (!handover_wait(fd, 0, deadline)) return 0 ;
    r = sanitize_read(fd_read(fd, buf + len, sizeof(buf) - len)) ;
    if (r < 0)
    {
      if (errno != EPIPE) return 0 ;
      break ;   /* EOF */
    }
    len += r ;
    if (len && buf[0] == 'K') return len == 1 ? 'K' : (errno = EPROTO, 0) ;
    if (len == sizeof(buf)) return (errno = EPROTO, 0) ;
  }
  if (!len) return (errno = EPIPE, 0) ;
  if (buf[0] != 'Z' && buf[0] != 'D') return (errno = EPROTO, 0) ;
  if (textmax)
  {
    size_t w = 0 ;
    for (size_t i = 1 ; i < len && w + 1 < textmax ; i++)
    {
      unsigned char c = buf[i] ;
      if (c >= 0x20 && c != 0x7f) text[w++] = c ;
    }
    text[w] = 0 ;
  }
  return buf[0] ;
}

int handover_send (char const *path, int rfd, int wfd, char const *fields, size_t fieldslen, char const *pending, size_t pendinglen, char *text, size_t textmax, tain const *deadline)
{
  unixmessage_sender sender ;
  int fds[2] = { rfd, wfd } ;
  struct iovec v[3] =
  {
    { .iov_base = (char *)fields, .iov_len = fieldslen },
    { .iov_base = (char *)"", .iov_len = 1 },
    { .iov_base = (char *)pending, .iov_len = pendinglen }
  } ;
  unixmessagev m = { .v = v, .vlen = 3, .fds = fds, .nfds = 2 } ;
  int fd, r, e ;
  if (pendinglen > HANDOVER_PENDING_MAX || fieldslen + 1 + pendinglen > HANDOVER_BODY_MAX) return (errno = EMSGSIZE, 0) ;
  fd = ipc_stream_nbcoe() ;
  if (fd < 0) return 0 ;
  tain_now_g() ;
  if (!ipc_timed_connect(fd, path, deadline, &STAMP)) goto err ;
  unixmessage_sender_init(&sender, fd) ;
  if (!unixmessage_putv(&sender, &m)) { e = errno ; unixmessage_sender_free(&sender) ; errno = e ; goto err ; }
  r = unixmessage_sender_timed_flush(&sender, deadline, &STAMP) ;
  e = errno ;
  unixmessage_sender_free(&sender) ;
  errno = e ;
  if (!r) goto err ;
  r = read_answer(fd, text, textmax, deadline) ;
  fd_close(fd) ;   /* skalibs' fd_close keeps errno */
  return r ;
 err:
  fd_close(fd) ;
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/buffer.h>
#include <skalibs/iopause.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#include "common/lineio.h"
#include "learn.h"

/* The request: "learn spam|ham <user>" (at most 512 bytes, no NUL or
 * bare CR), then the message until the client's EOF. At most
 * SPAMLEARN_MESSAGE_MAX bytes are kept, the rest is read and dropped;
 * the whole request must arrive before the deadline. */

static int parse_line (learn_request *r, char const *line, size_t len)
{
  char const *user ;
  size_t ulen ;
  if (len > 11 && !memcmp(line, "learn spam ", 11)) { r->is_spam = 1 ; user = line + 11 ; }
  else if (len > 10 && !memcmp(line, "learn ham ", 10)) { r->is_spam = 0 ; user = line + 10 ; }
  else return 0 ;
  ulen = len - (size_t)(user - line) ;
  if (!ulen || ulen > SPAMLEARN_USER_MAX) return 0 ;
  for (size_t i = 0 ; i < ulen ; i++)
    if ((unsigned char)user[i] <= ' ' || user[i] == 0x7f) return 0 ;
  memcpy(r->user, user, ulen) ;
  r->user[ulen] = 0 ;
  return 1 ;
}

static int keep (learn_request *r, char const *s, size_t n)
{
  if (r->msg.len + n > SPAMLEARN_MESSAGE_MAX)
  {
    r->truncated = 1 ;
    n = SPAMLEARN_MESSAGE_MAX - r->msg.len ;
  }
  return stralloc_catb(&r->msg, s, n) ;
}

int learn_read (learn_request *r, tain const *deadline, char const **why)
{
  char line[513] ;
  char buf[8192] ;
  size_t len ;
  unsigned int flags ;
  int g = lineio_get(buffer_0, line, sizeof(line), &len, &flags, deadline) ;
  if (g <= 0)
  {
    *why = g < 0 && errno == ETIMEDOUT ? "Ztimeout reading the request" : g < 0 && errno == ERANGE ? "Drequest line too long" : "Dno request" ;
    return 0 ;
  }
  if ((flags & (LINEIO_NUL | LINEIO_BARECR)) || !parse_line(r, line, len))
  {
    *why = "Dbad request: learn spam|ham <user>" ;
    return 0 ;
  }
  /* what the buffer already holds, then the socket */
  for (;;)
  {
    size_t n = buffer_getnofill(buffer_0, buf, sizeof(buf)) ;
    if (!n) break ;
    if (!keep(r, buf, n)) { *why = "Zout of memory" ; return 0 ; }
  }
  for (;;)
  {
    ssize_t n = read(0, buf, sizeof(buf)) ;
    if (n > 0)
    {
      if (!keep(r, buf, (size_t)n)) { *why = "Zout of memory" ; return 0 ; }
      continue ;
    }
    if (!n) return 1 ;
    if (errno == EINTR) continue ;
    if (errno != EAGAIN && errno != EWOULDBLOCK) { *why = "Zread error" ; return 0 ; }
    {
      iopause_fd x = { .fd = 0, .events = IOPAUSE_READ } ;
      int p = iopause_stamp(&x, 1, deadline, &STAMP) ;
      if (!p) { *why = "Ztimeout reading the message" ; return 0 ; }
    }
  }
}

/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/error.h>
#include <skalibs/tai.h>

#include "common/handover.h"

int handover_answer (int fd, char code, char const *text, tain const *deadline)
{
  char buf[HANDOVER_ANSWER_MAX] ;
  size_t len = 1, w = 0 ;
  buf[0] = code ;
  if (code != 'K' && text)
  {
    size_t n = strlen(text) ;
    if (n > sizeof(buf) - 1) n = sizeof(buf) - 1 ;
    memcpy(buf + 1, text, n) ;
    len += n ;
  }
  while (w < len)
  {
    ssize_t r ;
    if (!handover_wait(fd, 1, deadline)) return 0 ;
    r = fd_write(fd, buf + w, len - w) ;
    if (r < 0)
    {
      if (error_isagain(errno)) continue ;
      return 0 ;
    }
    w += r ;
  }
  return 1 ;
}

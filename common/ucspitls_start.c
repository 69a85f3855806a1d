/* ISC license. */

#include <stdlib.h>
#include <errno.h>
#include <sys/socket.h>

#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/tai.h>

#include "common/lineio.h"
#include "common/ucspitls.h"
#include "common/ucspitls-internal.h"

/* The switch to TLS (common/ucspitls.h). The order is what makes
 * injection impossible: the plaintext already read is discarded before
 * tlsd is asked, and from the 'Y' on, every byte the client sends goes
 * to tlsd's handshake, where plaintext is a protocol error; nothing
 * reaches the program except through the new pipes. */

static void reset (buffer *b, int fd)
{
  buffer_init(b, b->op, fd, b->c.x, b->c.a) ;
}

int ucspitls_start (buffer *in, buffer *out, ucspitls_info *info, tain const *deadline)
{
  char report[UCSPITLS_REPORT_MAX] ;
  ssize_t len ;
  int ctl, rd, wr ;
  info->discarded = 0 ;
  if (!ucspitls_fds(&ctl, &rd, &wr)) return (errno = ECONNREFUSED, 0) ;
  if (out && !lineio_flush(out, deadline)) return 0 ;
  if (in)
  {
    info->discarded = buffer_len(in) ;
    lineio_discard(in) ;
  }
  if (fd_send(ctl, "Y", 1, MSG_NOSIGNAL) != 1)
  {
    if (errno == EPIPE || errno == ECONNRESET) errno = ECONNREFUSED ;
    return 0 ;
  }
  len = ucspitls_readall(ctl, report, sizeof(report), deadline) ;
  if (len < 0) return 0 ;
  if (!len) return (errno = ECONNREFUSED, 0) ;
  if (!ucspitls_parse(report, (size_t)len, info)) return 0 ;

  fd_close(ctl) ;
  if (fd_move2(0, rd, 1, wr) < 0) return 0 ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) return 0 ;
  if (in) reset(in, 0) ;
  if (out) reset(out, 1) ;
  unsetenv("SSLCTLFD") ;
  unsetenv("SSLREADFD") ;
  unsetenv("SSLWRITEFD") ;
  return 1 ;
}

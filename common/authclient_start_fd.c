/* ISC license. */

#include <errno.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>

#include "common/lineio.h"
#include "common/authclient-internal.h"

/* The client speaks first without waiting (Dovecot's clients do): the
 * server sends its handshake at once anyway, and both cross. */

int authclient_start_fd (authclient *ac, int fd, tain const *deadline)
{
  char fmt[PID_FMT] ;
  ac->fd = fd ;
  ac->id = 0 ;
  ac->hs_version = 0 ;
  ac->hs_lines = 0 ;
  ac->spid = ac->cuid = 0 ;
  ac->mechlen = 0 ;
  ac->mechs[0] = 0 ;
  ac->cookie[0] = 0 ;
  ac->send.len = 0 ;
  if (ndelay_on(fd) < 0) goto err ;
  buffer_init(&ac->in, &buffer_read, fd, ac->inbuf, sizeof(ac->inbuf)) ;
  buffer_init(&ac->out, &authclient_writev, fd, ac->outbuf, sizeof(ac->outbuf)) ;
  if (!stralloc_cats(&ac->send, "VERSION\t1\t1\nCPID\t")
   || !stralloc_catb(&ac->send, fmt, pid_fmt(fmt, getpid()))
   || !stralloc_catb(&ac->send, "\n", 1)) goto err ;
  if (!lineio_put(&ac->out, ac->send.s, ac->send.len, deadline)) goto err ;
  ac->send.len = 0 ;
  for (;;)
  {
    size_t len ;
    int r ;
    if (!authclient_getline(ac, &len, deadline)) goto err ;
    r = authclient_handshake_line(ac, ac->line, len) ;
    if (r < 0) goto err ;
    if (r) return 1 ;
  }
 err:
  {
    int e = errno ;
    authclient_close(ac) ;
    errno = e ;
  }
  return 0 ;
}

/* ISC license. */

#include <errno.h>
#include <string.h>

#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/socket.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>

#include "common/lineio.h"
#include "smtpc.h"

int smtpc_connect (smtpc *c, char const *host, ip46 const *ip, uint16_t port, tain const *deadline)
{
  size_t n = strlen(host) ;
  int fd ;
  int r ;
   /* who we talk to is known before the attempt, for the failure texts */
  if (n > DNS_NAME_MAX) n = DNS_NAME_MAX ;
  memcpy(c->host, host, n) ;
  c->host[n] = 0 ;
  c->ip = *ip ;
  c->port = port ;
  c->ipfmt[ip46_fmt(c->ipfmt, ip)] = 0 ;
  c->fd = -1 ;
  memset(&c->caps, 0, sizeof(c->caps)) ;
  c->esmtp = 0 ;
  c->tls = 0 ;
  {
    ucspitls_client z = UCSPITLS_CLIENT_ZERO ;
    c->tlsc = z ;
  }
  memset(&c->tlsinfo, 0, sizeof(c->tlsinfo)) ;
  c->broken = 1 ;
  c->key[0] = 0 ;
  c->uses = 0 ;
  fd = socket_tcp46_nbcoe(ip46_is6(ip)) ;
  if (fd < 0) return 0 ;
  tain_now_g() ;
  r = ip46_is6(ip) ? socket_deadlineconnstamp6_g(fd, ip->ip, port, deadline)
                   : socket_deadlineconnstamp4_g(fd, ip->ip, port, deadline) ;
  if (!r)
  {
    int e = errno ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  c->fd = fd ;
  c->broken = 0 ;
  buffer_init(&c->in, &buffer_read, fd, c->inbuf, sizeof(c->inbuf)) ;
  buffer_init(&c->out, &buffer_write, fd, c->outbuf, sizeof(c->outbuf)) ;
  c->born = STAMP ;
  return 1 ;
}

int smtpc_send (smtpc *c, char const *s, size_t len, tain const *deadline)
{
  if (c->broken) return (errno = EPIPE, 0) ;
  if (!lineio_put(&c->out, s, len, deadline)) { c->broken = 1 ; return 0 ; }
  return 1 ;
}

int smtpc_read (smtpc *c, smtpc_reply *r, tain const *deadline)
{
  char line[SMTPC_LINE_MAX + 1] ;
  if (c->broken) return (errno = EPIPE, 0) ;
  smtpc_reply_init(r) ;
  for (;;)
  {
    size_t len ;
    unsigned int flags ;
    int k = lineio_get(&c->in, line, sizeof(line), &len, &flags, deadline) ;
    if (k <= 0)
    {
      if (!k) errno = EPIPE ;
      c->broken = 1 ;
      return 0 ;
    }
    k = smtpc_reply_line(r, line, len) ;
    if (k < 0) { c->broken = 1 ; return 0 ; }
    if (k) return 1 ;
  }
}

int smtpc_starttls (smtpc *c, char const *servername, unsigned int flags, tain const *deadline)
{
  int fd = c->fd ;
  if (c->broken || fd < 0) return (errno = EPIPE, 0) ;
  c->fd = -1 ;
  c->broken = 1 ;
  if (buffer_len(&c->in))
  {
    /* the 220 came with more: the server (or someone in between) wants
       plaintext read as if it were protected */
    fd_close(fd) ;
    return (errno = EPROTO, 0) ;
  }
  if (!ucspitls_client_start(fd, servername, flags, &c->tlsc, &c->tlsinfo, deadline)) return 0 ;
  c->fd = c->tlsc.rd ;
  c->tls = 1 ;
  c->broken = 0 ;
  c->esmtp = 0 ;
  memset(&c->caps, 0, sizeof(c->caps)) ;
  buffer_init(&c->in, &buffer_read, c->tlsc.rd, c->inbuf, sizeof(c->inbuf)) ;
  buffer_init(&c->out, &buffer_write, c->tlsc.wr, c->outbuf, sizeof(c->outbuf)) ;
  return 1 ;
}

void smtpc_close (smtpc *c)
{
  if (c->tls)
  {
    /* tlsc owns the socket; ending it closes the pipes (c->fd is one) */
    tain deadline ;
    tain_now_g() ;
    tain_addsec_g(&deadline, SMTPC_TLS_END_SECS) ;
    ucspitls_client_end(&c->tlsc, &deadline) ;
    c->tls = 0 ;
  }
  else if (c->fd >= 0) fd_close(c->fd) ;
  c->fd = -1 ;
  c->key[0] = 0 ;
}

void smtpc_quit (smtpc *c, tain const *deadline)
{
  if (c->fd < 0) return ;
  if (!c->broken && smtpc_send(c, "QUIT\r\n", 6, deadline))
  {
    smtpc_reply r ;
    smtpc_read(c, &r, deadline) ;   /* whatever it says, we close */
  }
  smtpc_close(c) ;
}

size_t smtpc_relay_fmt (smtpc const *c, char *out, size_t max)
{
  char port[UINT16_FMT] ;
  size_t hl = strlen(c->host), il = strlen(c->ipfmt), pl = uint16_fmt(port, c->port) ;
  size_t need = hl + il + pl + 3 ;
  if (need + 1 > max)
  {
    if (max) out[0] = 0 ;
    return 0 ;
  }
  memcpy(out, c->host, hl) ;
  out[hl] = '[' ;
  memcpy(out + hl + 1, c->ipfmt, il) ;
  out[hl + 1 + il] = ']' ;
  out[hl + 2 + il] = ':' ;
  memcpy(out + hl + 3 + il, port, pl) ;
  out[need] = 0 ;
  return need ;
}

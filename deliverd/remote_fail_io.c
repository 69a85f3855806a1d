/* ISC license. */

#include <errno.h>
#include <string.h>

#include "remote_deliver.h"

static char const *io_error (void)
{
  if (errno == ETIMEDOUT) return "timeout" ;
  if (errno == EPIPE) return "lost connection" ;
  if (errno == EPROTO) return "malformed reply" ;
  if (errno == ERANGE) return "reply line too long" ;
  return strerror(errno) ;
}

int remote_fail_io (remote_ctx *x, remote_fail *f, char const *when)
{
  char what[96] ;
  size_t w = 0 ;
  char const *e = io_error() ;
  while (*e && w + 1 < sizeof(what)) what[w++] = *e++ ;
  if (w + 1 < sizeof(what)) what[w++] = ' ' ;
  while (*when && w + 1 < sizeof(what)) what[w++] = *when++ ;
  what[w] = 0 ;
  remote_fail_local(x, f, "4.4.2", what, 0) ;
  return 0 ;
}

/* ISC license. */

#include <errno.h>

#include "common/lineio.h"
#include "common/authclient-internal.h"

/* The protocol's lines end with a bare LF and carry no NUL; a CR would
 * only be there to smuggle something into a relayed challenge. */

int authclient_getline (authclient *ac, size_t *len, tain const *deadline)
{
  unsigned int flags ;
  int r = lineio_get(&ac->in, ac->line, sizeof(ac->line), len, &flags, deadline) ;
  if (r < 0) return (errno == ERANGE ? (errno = EPROTO, 0) : 0) ;
  if (!r) return (errno = EPIPE, 0) ;
  if (flags & (LINEIO_CRLF | LINEIO_BARECR | LINEIO_NUL)) return (errno = EPROTO, 0) ;
  return 1 ;
}

/* ISC license. */

#include <errno.h>
#include <stddef.h>
#include <skalibs/tai.h>

#include "common/qinject-internal.h"

int qinject_field (qinject *q, char tag, char const *s, size_t len, tain const *deadline)
{
  /* The server would refuse these; saying so here gives a clearer error. */
  if (q->inmessage || !tag) return (errno = EINVAL, 0) ;
  if (len > QINJECT_FIELD_MAX) return (errno = EMSGSIZE, 0) ;
  return qinject_netstring(q, tag, s, len, deadline) ;
}

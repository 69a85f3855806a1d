/* ISC license. */

#include <stddef.h>
#include <skalibs/tai.h>

#include "common/qinject-internal.h"

int qinject_data (qinject *q, char const *s, size_t len, tain const *deadline)
{
  if (!q->inmessage)
  {
    if (!qinject_netstring(q, 0, "", 0, deadline)) return 0 ;  /* ends the envelope */
    q->inmessage = 1 ;
  }
  /* An empty netstring would end the message: send nothing for len 0. */
  while (len)
  {
    size_t n = len > QINJECT_CHUNK_MAX ? QINJECT_CHUNK_MAX : len ;
    if (!qinject_netstring(q, 0, s, n, deadline)) return 0 ;
    s += n ;
    len -= n ;
  }
  return 1 ;
}

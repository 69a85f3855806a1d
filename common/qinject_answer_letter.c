/* ISC license. */

#include <errno.h>
#include <stddef.h>

#include "common/qinject-internal.h"

char qinject_answer_letter (char const *reply, size_t len)
{
  if (!len) return (errno = EPROTO, 0) ;
  switch (reply[0])
  {
    case 'K' :
      if (len < 2) return (errno = EPROTO, 0) ;  /* K needs a queue id */
      return 'K' ;
    case 'Z' :
    case 'D' :
      return reply[0] ;
    default :
      return (errno = EPROTO, 0) ;
  }
}

/* ISC license. */

#include "common/preauth.h"

int preauth_plain_ok (preauth const *p)
{
  return p->tls || p->plain == PREAUTH_PLAIN_YES || (p->plain == PREAUTH_PLAIN_LOOPBACK && p->loopback) ;
}

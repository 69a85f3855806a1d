/* ISC license. */

#include "common/badcommand.h"
#include "common/preauth.h"

int preauth_bad (preauth *p, char const *cmd)
{
  return badcommand_count(&p->bad, p->maxbad, p->service, p->rip, p->session, cmd) ;
}

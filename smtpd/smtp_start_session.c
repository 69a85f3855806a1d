/* ISC license. */

#include <stdlib.h>

#include "smtp_start.h"

void smtp_start_session (smtp_session *s, smtp_engine const *e)
{
  smtp_session_init(s, e, 0, 1, getenv("TCPREMOTEIP"), getenv("TCPREMOTEPORT"), getenv("TCPREMOTEHOST")) ;
  s->localip = getenv("TCPLOCALIP") ;
  s->localport = getenv("TCPLOCALPORT") ;
}

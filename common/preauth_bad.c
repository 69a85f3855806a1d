/* ISC license. */

#include "common/banevent.h"
#include "common/log.h"
#include "common/preauth.h"

int preauth_bad (preauth *p, char const *cmd)
{
  logline l ;
  p->bad++ ;
  log_begin(&l, "bad_command") ;
  log_kv(&l, "ip", p->rip) ;
  log_kv(&l, "session", p->session) ;
  if (cmd && cmd[0]) log_kv(&l, "cmd", cmd) ;
  log_kvu(&l, "count", p->bad) ;
  log_commit(&l) ;
  if (p->bad < p->maxbad) return 0 ;
  log_event2("too_many_bad_commands", "ip", p->rip, "session", p->session) ;
  /* one event per abusive session, not per refusal (authd reports the
   * failed logins itself, with service=) */
  if (p->rip[0]) banevent_send("bad_command", p->rip, p->service, 0) ;
  return 1 ;
}

/* ISC license. */

#include "common/badcommand.h"
#include "common/banevent.h"
#include "common/log.h"

int badcommand_count (unsigned int *count, unsigned int max, char const *service, char const *rip, char const *session, char const *cmd)
{
  logline l ;
  ++*count ;
  log_begin(&l, "bad_command") ;
  log_kv(&l, "ip", rip) ;
  log_kv(&l, "session", session) ;
  if (cmd && cmd[0]) log_kv(&l, "cmd", cmd) ;
  log_kvu(&l, "count", *count) ;
  log_commit(&l) ;
  if (*count < max) return 0 ;
  log_event2("too_many_bad_commands", "ip", rip, "session", session) ;
  /* once per abusive session, not per refusal (authd reports the
   * failed logins itself, with service=) */
  if (rip && rip[0]) banevent_send("bad_command", rip, service, 0) ;
  return 1 ;
}

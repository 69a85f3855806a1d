/* ISC license. */

#include "common/log.h"
#include "queued/qmsg.h"
#include "queued/qbounce.h"

void qbounce_rcpt (qmsg const *m, unsigned int i, char const *reason)
{
  logline l ;
  log_begin(&l, "bounce") ;
  log_kv(&l, "qid", m->qid) ;
  log_kv(&l, "rcpt", qmsg_addr(m, i)) ;
  log_kv(&l, "from", qmsg_sender(m)) ;
  /* RFC 5321 4.5.5: never a notification to the null reverse-path. */
  log_kv(&l, "dsn", qmsg_sender(m)[0] ? "pending" : "none") ;
  log_kv(&l, "reason", reason) ;
  log_commit(&l) ;
}

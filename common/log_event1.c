/* ISC license. */

#include "common/log.h"

void log_event1 (char const *event, char const *k1, char const *v1)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, k1, v1) ;
  log_commit(&l) ;
}

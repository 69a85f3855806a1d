/* ISC license. */

#include "common/log.h"

void log_event2 (char const *event, char const *k1, char const *v1, char const *k2, char const *v2)
{
  logline l ;
  log_begin(&l, event) ;
  log_kv(&l, k1, v1) ;
  log_kv(&l, k2, v2) ;
  log_commit(&l) ;
}

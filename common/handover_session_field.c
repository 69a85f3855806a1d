/* ISC license. */

#include "common/handover_accept.h"

char const *handover_session_field (handover_session const *s, char const *key)
{
  char const *x = handover_get(&s->h, key) ;
  return x ? x : "" ;
}

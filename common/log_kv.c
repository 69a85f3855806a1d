/* ISC license. */

#include <string.h>

#include "common/log.h"

/* A null value is logged as the empty string "" rather than crashing:
 * a missing field must not take a daemon down. */

void log_kv (logline *l, char const *key, char const *value)
{
  if (!value) value = "" ;
  log_kvn(l, key, value, strlen(value)) ;
}

/* ISC license. */

#include <string.h>

#include "common/log-internal.h"

/* Keys are names chosen by the code, so they are written as they are;
 * values may come from the network and are quoted when needed. */

void log_kvn (logline *l, char const *key, char const *value, size_t n)
{
  log_append(l, " ", 1) ;
  log_append(l, key, strlen(key)) ;
  log_append(l, "=", 1) ;
  log_append_value(l, value, n) ;
}

/* ISC license. */

#include <string.h>

#include <skalibs/strerr.h>

#include "common/log-internal.h"

void log_begin (logline *l, char const *event)
{
  char const *prog = PROG ? PROG : "posthaste" ;
  l->len = 0 ;
  log_append(l, prog, strlen(prog)) ;
  log_append(l, ": event=", 8) ;
  log_append_value(l, event, strlen(event)) ;
}

/* ISC license. */

#include <string.h>

#include "common/banevent.h"

/* The reader of what every local daemon (and, through banwatch -l, any
 * log line) may send: bounded by BANEVENT_MAX, no escapes, no copies. */

static int setkey (char const **slot, char const *value)
{
  if (*slot) return 0 ;
  *slot = value ;
  return 1 ;
}

int banevent_parse (char *s, size_t len, banevent *ev)
{
  char const *event = 0, *ip = 0, *service = 0, *user = 0, *duration = 0 ;
  size_t i = 0 ;
  if (len > BANEVENT_MAX) return 0 ;
  if (len && s[len - 1] == '\n') len-- ;
  s[len] = 0 ;
  while (i < len)
  {
    size_t start, eq = 0 ;
    char const *key, *value ;
    if (s[i] == ' ') { i++ ; continue ; }
    start = i ;
    for (; i < len && s[i] != ' ' ; i++)
    {
      unsigned char c = (unsigned char)s[i] ;
      if (c < 32 || c == 127) return 0 ;
      if (c == '=' && !eq) eq = i ;
    }
    if (!eq || eq == start || eq + 1 == i) return 0 ;
    s[eq] = 0 ;
    if (i < len) s[i++] = 0 ;
    key = s + start ;
    value = s + eq + 1 ;
    if (!strcmp(key, "event")) { if (!setkey(&event, value)) return 0 ; }
    else if (!strcmp(key, "ip")) { if (!setkey(&ip, value)) return 0 ; }
    else if (!strcmp(key, "service")) { if (!setkey(&service, value)) return 0 ; }
    else if (!strcmp(key, "user")) { if (!setkey(&user, value)) return 0 ; }
    else if (!strcmp(key, "duration")) { if (!setkey(&duration, value)) return 0 ; }
  }
  if (!event || !ip) return 0 ;
  ev->event = event ;
  ev->ip = ip ;
  ev->service = service ? service : "" ;
  ev->user = user ? user : "" ;
  ev->duration = duration ? duration : "" ;
  return 1 ;
}

/* ISC license. */

#include <string.h>

#include "common/banevent.h"

/* Values go as tokens, so the line needs no quoting rules and the parser
 * stays trivial; the user name is only a hint for the logs. */
static size_t put (char *s, size_t w, char const *key, char const *value)
{
  size_t klen = strlen(key) ;
  size_t n = 0 ;
  if (!value || !*value) return w ;
  if (w + 1 + klen + 1 + 1 >= BANEVENT_MAX) return w ;
  if (w) s[w++] = ' ' ;
  memcpy(s + w, key, klen) ;
  w += klen ;
  s[w++] = '=' ;
  for (; value[n] && n < BANEVENT_VALUE_MAX && w < BANEVENT_MAX - 1 ; n++)
  {
    unsigned char c = (unsigned char)value[n] ;
    s[w++] = c <= 32 || c >= 127 || c == '"' || c == '\\' || c == '=' ? '_' : (char)c ;
  }
  return w ;
}

size_t banevent_fmt (char *s, char const *event, char const *ip, char const *service, char const *user)
{
  size_t w = 0 ;
  if (!event || !*event || !ip || !*ip) return 0 ;
  w = put(s, w, "event", event) ;
  w = put(s, w, "ip", ip) ;
  w = put(s, w, "service", service) ;
  w = put(s, w, "user", user) ;
  s[w] = '\n' ;
  return w ;
}

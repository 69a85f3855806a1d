/* ISC license. */

#include <stdlib.h>
#include <string.h>

#include "common/filterchain.h"

int filterchain_parse (char const *spec, filterchain *c, char const **why)
{
  char *s ;
  size_t len ;
  c->n = 0 ;
  if (!spec) return 1 ;
  len = strlen(spec) ;
  s = malloc(len + 1) ;   /* kept for the program's life: argv points into it */
  if (!s) { *why = "out of memory" ; return 0 ; }
  memcpy(s, spec, len + 1) ;
  while (*s)
  {
    char *end = strchr(s, ';') ;
    char *next = end ? end + 1 : s + strlen(s) ;
    unsigned int argc = 0 ;
    if (end) *end = 0 ;
    for (char *p = s ; *p ;)
    {
      while (*p == ' ' || *p == '\t') *p++ = 0 ;
      if (!*p) break ;
      if (argc >= FILTERCHAIN_ARGS_MAX) { *why = "a filter command has too many words" ; return 0 ; }
      if (c->n >= FILTERCHAIN_MAX) { *why = "too many filters in a chain" ; return 0 ; }
      c->argv[c->n][argc++] = p ;
      while (*p && *p != ' ' && *p != '\t') p++ ;
    }
    if (argc)
    {
      size_t total = 0 ;
      if (c->argv[c->n][0][0] != '/') { *why = "a filter program must be an absolute path" ; return 0 ; }
      for (unsigned int i = 0 ; i < argc ; i++) total += strlen(c->argv[c->n][i]) + 1 ;
      if (total - 1 > FILTERCHAIN_COMMAND_MAX) { *why = "a filter command is too long" ; return 0 ; }
      c->argv[c->n][argc] = 0 ;
      c->n++ ;
    }
    s = next ;
  }
  return 1 ;
}

/* ISC license. */

/* libFuzzer harness for envfile_parse (mailserver.env): every record it
 * produces must be NAME=value with a valid name, and a failure must leave
 * the output as it was and name a line that exists. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <skalibs/stralloc.h>

#include "common/config.h"

static int name_char (char c, int first)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9') ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  stralloc sa = STRALLOC_ZERO ;
  unsigned int line = 12345 ;
  char const *s = (char const *)data ;
  if (!stralloc_catb(&sa, "X", 1)) return 0 ;
  if (envfile_parse(s, size, &sa, &line))
  {
    size_t pos = 1 ;
    if (line) abort() ;
    if (sa.len > 1 && sa.s[sa.len - 1]) abort() ;
    while (pos < sa.len)
    {
      size_t reclen = strlen(sa.s + pos) ;
      size_t i = 0 ;
      if (!name_char(sa.s[pos], 1)) abort() ;
      while (name_char(sa.s[pos + i], 0)) i++ ;
      if (sa.s[pos + i] != '=') abort() ;
      pos += reclen + 1 ;
    }
    if (sa.len - 1 > size + 1) abort() ;  /* never more than the input */
  }
  else
  {
    size_t lines = 1 ;
    size_t i = 0 ;
    for (; i < size ; i++) if (s[i] == '\n') lines++ ;
    if (sa.len != 1 || !line || line > lines) abort() ;
  }
  stralloc_free(&sa) ;
  return 0 ;
}

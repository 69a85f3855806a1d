/* ISC license. */

/* libFuzzer harness for queued's reader of a filter program's answer
 * (queued/qfreply.c): header fields, the empty line, the verdict, the
 * remove lines. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queued/qfreply.h"

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  qfreply r ;
  char const *why = 0 ;
  if (qfreply_parse(s, size, &r, &why))
  {
    if (r.verdict < QFV_DELIVER || r.verdict > QFV_TEMPFAIL) __builtin_trap() ;
    if (r.hdrlen > size || (r.hdrlen && s[r.hdrlen - 1] != '\n')) __builtin_trap() ;
    if (r.text < s || r.text + r.textlen > s + size || r.textlen > QFREPLY_TEXT_MAX) __builtin_trap() ;
    /* no bare CR, no NUL in what would be prepended to a message */
    for (size_t i = 0 ; i < r.hdrlen ; i++)
      if (!s[i] || s[i] == '\r') __builtin_trap() ;
    /* remove lines: within the answer, bounded in number, sane values */
    {
      size_t pos = 0 ;
      char const *name ;
      size_t namelen ;
      unsigned int n, lines = 0 ;
      if (r.removes < s || r.removes + r.removeslen > s + size) __builtin_trap() ;
      while (qfreply_remove_next(&r, &pos, &name, &namelen, &n))
      {
        if (++lines > QFREPLY_REMOVE_MAX || !namelen || !n || n > QFREPLY_REMOVE_N_MAX) __builtin_trap() ;
        if (name < r.removes || name + namelen > r.removes + r.removeslen || memchr(name, ':', namelen)) __builtin_trap() ;
      }
      if (pos != r.removeslen) __builtin_trap() ;
    }
  }
  else if (!why) __builtin_trap() ;
  return 0 ;
}

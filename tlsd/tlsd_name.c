/* ISC license. */

#include "tlsd.h"

/* Names become path components (the SNI directory) and travel to the
 * protocol program (Received headers), so only plain host names pass:
 * LDH labels (RFC 1123 section 2.1) of 1 to 63 octets, no hyphen at
 * either end, dots only between labels, 253 octets in all. No '/', no
 * "..", no empty label, no trailing dot: nothing a path could abuse. */

int tlsd_name_valid (char const *s, char *out)
{
  size_t i = 0 ;
  size_t label = 0 ;
  for (;; i++)
  {
    char c = s[i] ;
    if (i > TLSD_NAME_MAX) return 0 ;
    if (!c || c == '.')
    {
      if (!label || s[i-1] == '-') return 0 ;
      out[i] = c ;
      if (!c) return 1 ;
      label = 0 ;
      continue ;
    }
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A' ;
    else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-') return 0 ;
    if (c == '-' && !label) return 0 ;
    if (++label > 63) return 0 ;
    out[i] = c ;
  }
}

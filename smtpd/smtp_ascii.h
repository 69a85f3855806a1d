/* ISC license. */

#ifndef POSTHASTE_SMTP_ASCII_H
#define POSTHASTE_SMTP_ASCII_H

/* ASCII-only, byte-exact case folding for the parsers: a line may hold
 * any octet, and the C library's strncasecmp would stop at a NUL or
 * follow the locale. */

#include <stddef.h>

static inline unsigned char smtp_lower (unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? c + 32 : c ;
}

/* Is s[0..len) the lower-case string lowered, in any case? */
static inline int ascii_caseeq (char const *s, size_t len, char const *lowered)
{
  size_t i = 0 ;
  for (; i < len ; i++)
    if (!lowered[i] || smtp_lower((unsigned char)s[i]) != (unsigned char)lowered[i]) return 0 ;
  return !lowered[len] ;
}

/* Does s[0..len) start with lowered, in any case? */
static inline int ascii_caseprefix (char const *s, size_t len, char const *lowered)
{
  size_t i = 0 ;
  for (; lowered[i] ; i++)
    if (i >= len || smtp_lower((unsigned char)s[i]) != (unsigned char)lowered[i]) return 0 ;
  return 1 ;
}

#endif

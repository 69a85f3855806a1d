/* ISC license. */

/* literal = "{" number64 ["+"] "}" CRLF, literal8 = "~{" ... (RFC 9051
 * §9, RFC 7888 §3, RFC 3516 §4.1), seen from the end of a line. */

#include "imapd/imap_parse-internal.h"

#define HEADER_SCAN 24   /* "{" + 19 digits + "+}" fits */

int imap_literal_header (char const *s, size_t len, uint64_t *n, int *nonsync, int *binary)
{
  size_t open, end, i ;
  uint64_t v = 0 ;
  if (!len || s[len - 1] != '}') return 0 ;
  end = len - 1 ;
  open = end ;
  while (open && end - open < HEADER_SCAN)
  {
    char ch = s[--open] ;
    if (ch == '{') break ;
    if ((ch < '0' || ch > '9') && ch != '+') return 0 ;  /* an atom ending in '}' */
  }
  if (s[open] != '{') return 0 ;
  *nonsync = end > open + 1 && s[end - 1] == '+' ;
  if (*nonsync) end-- ;
  if (end == open + 1) return -1 ;
  for (i = open + 1 ; i < end ; i++)
  {
    if (s[i] < '0' || s[i] > '9') return -1 ;
    if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(s[i] - '0')) / 10) return -1 ;
    v = v * 10 + (uint64_t)(s[i] - '0') ;
  }
  *binary = open && s[open - 1] == '~' ;
  *n = v ;
  return 1 ;
}

/* ISC license. */

#include <stddef.h>
#include <stdint.h>

#include "queued/qid.h"

static char const qid_digits[63] =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" ;

/* Writes exactly n base-62 digits of u, most significant first. */
static void put_fixed (char *s, uint64_t u, unsigned int n)
{
  while (n--)
  {
    s[n] = qid_digits[u % 62] ;
    u /= 62 ;
  }
}

size_t qid_make (char *s, uint64_t sec, uint32_t usec, uint64_t ino)
{
  char tmp[12] ;  /* 62^11 > 2^64 */
  unsigned int n = 0 ;
  put_fixed(s, sec, 6) ;      /* 62^6 seconds: until the year 3770 */
  put_fixed(s + 6, usec, 4) ; /* 62^4 > 10^6 */
  do
  {
    tmp[n++] = qid_digits[ino % 62] ;
    ino /= 62 ;
  } while (ino) ;
  if (n < 2) tmp[n++] = '0' ;
  for (unsigned int i = 0 ; i < n ; i++) s[10 + i] = tmp[n - 1 - i] ;
  return 10 + n ;
}

int qid_valid (char const *s, size_t len)
{
  if (len < QID_MIN || len > QID_MAX) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    char c = s[i] ;
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return 0 ;
  }
  return 1 ;
}

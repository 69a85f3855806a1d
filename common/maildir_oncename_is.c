/* ISC license. */

#include "common/maildir.h"

 /* Exactly what maildir_oncename writes. The other names in tmp/ never
    match: ours and Dovecot's unique names have "M" after the first dot,
    maildrop's and procmail's a decimal pid followed by ".host". */
int maildir_oncename_is (char const *s)
{
  size_t i = 0 ;
  unsigned int h = 0 ;
  while ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))
    if (++i > MAILDIR_QID_MAX) return 0 ;
  if (!i || s[i++] != '.') return 0 ;
  for (; h < 16 ; h++, i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0 ;
  return !s[i] ;
}
